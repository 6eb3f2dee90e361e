"""Chat: the platform-neutral command layer and one module per platform."""
