// Facts fixed when this build was made. `kiosk doctor` treats a clock before buildDate as wrong
// (a kiosk whose RTC battery died boots in 1970 or 2000). Update with each release.
export const buildDateIso = '2026-11-28';
export const buildDateMs = Date.parse(`${buildDateIso}T00:00:00Z`);
