"""CPU engines: classical image processing, no model weights."""
