"""commit-radar: LLM-analysed GitHub commits, delivered to Slack and Feishu as cards."""

__version__ = "0.1.0"
