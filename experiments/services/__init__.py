"""The flows that change the record, each one short transaction (see the module of each flow)."""
