"""Close (close.com, formerly Close.io) as a source: spec, emulator and what it can hold."""
