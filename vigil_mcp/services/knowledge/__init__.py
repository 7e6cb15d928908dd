"""Knowledge: ingest documents into passages, index them, retrieve them."""
