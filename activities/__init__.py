"""Side effects of the processes. Kept light: workflow code never imports the modules here."""
