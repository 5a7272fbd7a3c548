from cop_bot.cli import entry

entry()
