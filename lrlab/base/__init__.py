"""What any stage runs on, whatever it does: error types and their wording helpers, atomic
files and safe torch loading, the output paths, the schema's base types, and the stages'
argument parser and entry wrapper. It imports nothing else of lrlab, and no torch at import
time; every stage depends on this folder."""
