"""The patient's record: prefetched, fetched, and what could not be had."""
