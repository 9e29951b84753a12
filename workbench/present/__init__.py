"""Words, numbers and layouts for people: trace text and JSON, report sentences, palettes, chain layout, calls table."""
