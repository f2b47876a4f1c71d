"""cosell's controls: what plays AWS or the other partner, and what a tester sets up. Reached through
`cosell …` commands and the /_cosell/* endpoints (server/admin.py), the same functions for both; never
through the AWS wire, which stays exactly AWS-shaped.
"""
