"""Try commit-radar with no network: a local fake GitHub, the real bot, the console as the chat.

`make demo` runs this. It serves a small repository `demo/widgets` on 127.0.0.1, subscribes
the console to it, starts the real `commit-radar run` with your terminal as its console, and
pushes a new commit every PUSH_EVERY seconds so cards arrive as they would from a live
repository. Type /help, /subscriptions, /commit <sha> demo/widgets; /quit (or Ctrl-D) ends it.
With OPENAI_API_KEY/OPENAI_BASE_URL in the environment the analyses come from that LLM;
without, from the heuristic.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fake_github import FakeGitHub, file_entry  # noqa: E402

PUSH_EVERY = float(os.environ.get("DEMO_PUSH_EVERY", "20"))

# What lands on the demo branch after start, oldest first: a mix of importance levels.
PUSHES = [
    ("Fix off-by-one in pagination of the widgets list\n\nThe last page dropped its final item when the total "
     "was a multiple of the page size.",
     [file_entry("src/widgets/pagination.py", additions=3, deletions=2,
                 patch="@@ -40,7 +40,8 @@ def pages(total, size):\n-    count = total // size\n"
                       "+    count = -(-total // size)\n+    # ceil division: a full last page is still a page\n")]),
    ("docs: explain the retry settings in the README",
     [file_entry("README.md", additions=12, deletions=1,
                 patch="@@ -80,1 +80,12 @@\n-Retries: see code.\n+## Retries\n+WIDGETS_RETRIES sets how many...\n")]),
    ("Remove the deprecated --legacy-output flag\n\nDeprecated since 2.3; scripts that pass it now fail "
     "with an error.",
     [file_entry("src/widgets/cli.py", additions=2, deletions=19,
                 patch="@@ -12,22 +12,5 @@\n-@click.option('--legacy-output', is_flag=True)\n"
                       "-def main(legacy_output):\n+def main():\n"),
      file_entry("CHANGES.md", additions=3, deletions=0,
                 patch="@@ -1 +1,4 @@\n+## 3.0\n+- Removed --legacy-output\n")]),
    ("Validate webhook signatures with a constant-time comparison",
     [file_entry("src/widgets/webhooks.py", additions=4, deletions=2,
                 patch="@@ -30,4 +30,6 @@\n-    return sig == expected\n"
                       "+    # == leaks timing; compare_digest does not\n"
                       "+    return hmac.compare_digest(sig, expected)\n")]),
]


def _bot(env: dict, *args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bot", *args], env=env, **kwargs)


def main() -> int:
    """Serve the fake repository, subscribe the console, run the bot, push commits; 0 when the bot ended cleanly."""
    fake = FakeGitHub.serve(threads=8)
    repo = fake.add_repo("demo/widgets")
    repo.commit("Add the widgets list endpoint", files=[file_entry("src/widgets/api.py", status="added")])
    work = Path(tempfile.mkdtemp(prefix="commit-radar-demo-"))
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "FEISHU_", "GITHUB_"))}
    env.update({"GITHUB_API_URL": fake.api_url, "DATABASE_URL": f"sqlite:///{work}/demo.db",
                "POLL_INTERVAL": "5", "LANGUAGE": env.get("LANGUAGE", "en"), "LOG_LEVEL": "WARNING",
                "PORT": env.get("PORT", "0")})
    added = _bot(env, "subscriptions", "add", "demo/widgets", "--min", "low", cwd=work)
    if added.wait() != 0:
        fake.stop()
        return 1
    print(f"demo: a fake GitHub serves demo/widgets at {fake.api_url}; a new commit lands every "
          f"{PUSH_EVERY:.0f} s ({len(PUSHES)} in all). Try /help, /subscriptions, /quit.", flush=True)
    stop = threading.Event()

    def push() -> None:
        # The bot records the branch head on its first poll; commits before that would count as history.
        while not fake.count("/repos/demo/widgets/commits"):
            if stop.wait(0.2):
                return
        for message, files in PUSHES:
            if stop.wait(PUSH_EVERY):
                return
            sha = repo.commit(message, files=files)
            print(f"\ndemo: pushed {sha[:7]} {message.splitlines()[0]!r}", flush=True)

    threading.Thread(target=push, name="demo-pushes", daemon=True).start()
    bot = _bot(env, "run", cwd=work)
    try:
        code = bot.wait()
    except KeyboardInterrupt:
        code = bot.wait()
    finally:
        stop.set()
        fake.stop()
    return code


if __name__ == "__main__":
    raise SystemExit(main())
