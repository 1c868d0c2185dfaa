"""Small pure helpers shared by every layer (no Textual, no I/O)."""
