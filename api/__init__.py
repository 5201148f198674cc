"""HTTP service of Pacte Assistant: a FastAPI app (api.app.create_app) and the French chat page (api/static)."""
