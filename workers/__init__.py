"""Background processes: broker setup, actors, the outbox relay and the scheduler.

Workers talk to the domain only; they never import the web, schema or resolver layers.
"""
