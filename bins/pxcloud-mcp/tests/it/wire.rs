//! What a client sees over the wire: prompts, completion, guides, the tool shape, the response budget and `fields`, dynamic mode and the bypass table.
