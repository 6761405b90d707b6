"""Jinja templates of generated code (data files read by codegen through package resources)."""
