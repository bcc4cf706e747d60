// Public API of the kiosk agent.
export {};
