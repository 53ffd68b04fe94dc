"""Domain: pydantic models, personnummer, checklists, timeline and pure rules."""
