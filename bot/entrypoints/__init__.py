"""Entry points: the command line, the HTTP server, the process lifecycle and the console; they parse, call, render."""
