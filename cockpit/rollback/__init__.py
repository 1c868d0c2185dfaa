"""A guarded ECS rollback: the plan (what, from, to, the words to type), the diff, the run.

No Textual here: the rollback screen and `cockpit rollback` share all of it.
"""
