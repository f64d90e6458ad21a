"""Microsoft Entra ID and Graph (the integrations layer): MSAL and ID-token checks, app
tokens, the Graph client (paging, throttling, Teams meetings). Nothing of Summit's domain:
sign-in as a Summit user, roles and the directory import are app.auth's."""
