"""What the console's apps share: validators, fields, encryption, admin mixins.

Neutral ground below `apps`, `authorizations` and `connections`: it imports
none of them, so each can use it without pointing at the others.
"""
