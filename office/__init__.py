"""Rules every office and every process share, below every other layer: the working-day calendar, how official
numbers are written, and how the office and another agency's system recognise each other's messages."""
