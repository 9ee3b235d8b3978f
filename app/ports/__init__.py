"""Ports: what the use cases need from the outside world, one module per concept.

Repository protocols, the `UnitOfWork` that holds them and the records that cross the
boundary. `app.services` and `app.schemas` import them; `app/adapters` implement them
(`tests/fakes.py` and the unit tests' fakes too); they import nothing but `app.domain`."""
