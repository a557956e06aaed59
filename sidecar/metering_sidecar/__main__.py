"""``python -m metering_sidecar`` runs the command line."""

from metering_sidecar.cli import main

raise SystemExit(main())
