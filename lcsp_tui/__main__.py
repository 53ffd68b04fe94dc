from lcsp_tui.cli import main

raise SystemExit(main())
