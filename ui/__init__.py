"""The Gradio chat page; all retrieval and answering lives in `rag`."""
