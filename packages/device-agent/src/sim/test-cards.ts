// Test card numbers for the simulators, benches and demos: Luhn-valid PANs on a test BIN that no
// real card carries. Real card numbers never appear in this repository (R24).
export const TEST_PAN_16 = '6222021234567894';
export const TEST_PAN_19 = '6222021234567890128';
