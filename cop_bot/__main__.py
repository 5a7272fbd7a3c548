from cop_bot.cli import main

raise SystemExit(main())
