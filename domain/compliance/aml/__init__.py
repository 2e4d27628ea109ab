"""AML and harm monitoring: rules over money movement evaluated from committed events
(`monitoring`), and the risk queue where staff take alerts, record interactions and
outcomes (`alerts`). Thresholds come from the brand's jurisdiction pack (`[aml]`)."""
