"""Pure rendering: domain in, platform payload out."""
