"""The embedded demo territory (synthetic) and the script that generates it."""
