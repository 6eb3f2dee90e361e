"""Pure rendering: domain in, platform payload out (no I/O, nothing but `bot.domain` imported).

`card.build_card` makes the platform-neutral `Card`; `slack`, `feishu`, `markdown` and `console`
render cards and digests; `escape` is the one place untrusted text is made inert; `labels` holds
the zh/en wording and timezone-explicit time formats.
"""
