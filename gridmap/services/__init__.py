"""The use cases: each owns its transaction and is what both the command line and the web
app call (report and act on a case, escalate what is overdue, inspect a hazard, activate a
generation, the public channel).  Services sit between the entry points (and
``boundaries``) above and the lookup index, the stores and the pure domain below; they
read no environment: settings come in as values."""
