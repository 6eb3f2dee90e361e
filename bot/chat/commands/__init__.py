"""The platform-neutral command layer: Slack, Feishu and the console all call `CommandHandler.handle`."""

from bot.chat.commands.handler import CommandHandler, is_command
from bot.chat.commands.model import CommandContext, CommandServices, Defaults, Reply

__all__ = ["CommandContext", "CommandHandler", "CommandServices", "Defaults", "Reply", "is_command"]
