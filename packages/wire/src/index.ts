// Public API of the wire contract: generated protobuf types, topics and signing payloads.
export {};
