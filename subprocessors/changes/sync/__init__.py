"""`manage.py subprocessors_sync FILE`: compare a file of sub-processors (YAML or CSV, the public API's field
names) with the list and, with --apply, draft the changes that follow (files.py reads, plan.py validates and
compares, drafts.py drafts through the console's services)."""
