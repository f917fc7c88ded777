"""Gold labels: what the annotators agree on (consensus), the disagreement queue worst first,
the lead's decisions and the automatic unanimous ones (services), the gold-label forms and the
adjudication pages."""
