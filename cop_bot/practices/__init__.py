"""The shared repertoire: what a practice holds (`fields`, `personal_data`), who reviews it
(`review`), reading and changing it (`queries`, `changes`), its search index (`search`) and
its files (`transfer`). Chat commands on top of it are in `cop_bot/handlers/practices/`."""
