"""Value-set builders for scripts/build_valuesets.py; each builder takes the reference folder and
returns its list of R4 ValueSet dicts."""
