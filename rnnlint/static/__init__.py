"""The static analyzer: discover -> prefilter -> parse -> resolve -> interpret -> check -> suppress."""
