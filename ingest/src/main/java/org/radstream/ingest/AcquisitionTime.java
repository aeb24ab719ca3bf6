package org.radstream.ingest;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;

/**
 * When a CT slice was acquired, as an instant: AcquisitionDateTime, else AcquisitionDate +
 * AcquisitionTime, else SeriesDate (+ SeriesTime), else StudyDate (+ StudyTime). DICOM date-times
 * are local to the scanner: an offset in the DT value wins, then TimezoneOffsetFromUTC (0008,0201),
 * else UTC is assumed. The progression rule compares times 48 h apart, so a day-granular fallback
 * (a date without a time) is still better than refusing the scan.
 */
final class AcquisitionTime {
    private AcquisitionTime() {}

    static Instant of(AttributeList list, AttributeTag dateTime, AttributeTag acqDate, AttributeTag acqTime,
                      AttributeTag seriesDate, AttributeTag seriesTime, AttributeTag studyDate, AttributeTag studyTime,
                      AttributeTag timezoneOffset) {
        ZoneOffset zone = offset(CtInstanceReader.text(list, timezoneOffset));
        if (zone == null) {
            zone = ZoneOffset.UTC;
        }
        Instant t = parseDateTime(CtInstanceReader.text(list, dateTime), zone);
        if (t == null) {
            t = combine(CtInstanceReader.text(list, acqDate), CtInstanceReader.text(list, acqTime), zone);
        }
        if (t == null) {
            t = combine(CtInstanceReader.text(list, seriesDate), CtInstanceReader.text(list, seriesTime), zone);
        }
        if (t == null) {
            t = combine(CtInstanceReader.text(list, studyDate), CtInstanceReader.text(list, studyTime), zone);
        }
        return t;
    }

    /** A DT value {@code YYYY[MM[DD[HH[MM[SS[.F{1-6}]]]]]][&ZZXX]}; null when unusable. */
    static Instant parseDateTime(String dt, ZoneOffset defaultZone) {
        if (dt == null) {
            return null;
        }
        ZoneOffset zone = defaultZone;
        int sign = Math.max(dt.lastIndexOf('+'), dt.lastIndexOf('-'));
        if (sign > 0) {
            zone = offset(dt.substring(sign));
            if (zone == null) {
                return null;
            }
            dt = dt.substring(0, sign);
        }
        if (dt.length() < 8) {
            return null;
        }
        LocalDate date = parseDate(dt.substring(0, 8));
        LocalTime time = dt.length() > 8 ? parseTime(dt.substring(8)) : LocalTime.MIDNIGHT;
        if (date == null || time == null) {
            return null;
        }
        return LocalDateTime.of(date, time).toInstant(zone);
    }

    static Instant combine(String date, String time, ZoneOffset zone) {
        LocalDate d = parseDate(date);
        if (d == null) {
            return null;
        }
        LocalTime t = time == null ? LocalTime.MIDNIGHT : parseTime(time);
        return LocalDateTime.of(d, t == null ? LocalTime.MIDNIGHT : t).toInstant(zone);
    }

    /** {@code YYYYMMDD}, or the ACR-NEMA {@code YYYY.MM.DD}. */
    static LocalDate parseDate(String s) {
        if (s == null) {
            return null;
        }
        String digits = s.replace(".", "");
        if (digits.length() != 8 || !digits.chars().allMatch(Character::isDigit)) {
            return null;
        }
        try {
            return LocalDate.of(Integer.parseInt(digits.substring(0, 4)), Integer.parseInt(digits.substring(4, 6)),
                    Integer.parseInt(digits.substring(6, 8)));
        } catch (DateTimeException e) {
            return null;
        }
    }

    /** {@code HH[MM[SS[.F{1-6}]]]}, or the ACR-NEMA {@code HH:MM:SS.frac}. */
    static LocalTime parseTime(String s) {
        if (s == null) {
            return null;
        }
        String t = s.replace(":", "");
        String frac = "";
        int dot = t.indexOf('.');
        if (dot >= 0) {
            frac = t.substring(dot + 1);
            t = t.substring(0, dot);
        }
        if (t.length() < 2 || t.length() > 6 || t.length() % 2 != 0 || !t.chars().allMatch(Character::isDigit)
                || frac.length() > 6 || !frac.chars().allMatch(Character::isDigit)) {
            return null;
        }
        try {
            int h = Integer.parseInt(t.substring(0, 2));
            int m = t.length() >= 4 ? Integer.parseInt(t.substring(2, 4)) : 0;
            int sec = t.length() >= 6 ? Integer.parseInt(t.substring(4, 6)) : 0;
            int nanos = frac.isEmpty() ? 0 : Integer.parseInt((frac + "000000").substring(0, 6)) * 1000;
            return LocalTime.of(h, m, Math.min(sec, 59), nanos);
        } catch (DateTimeException e) {
            return null;
        }
    }

    /** {@code +HHMM} / {@code -HHMM}; null when absent or malformed. */
    static ZoneOffset offset(String s) {
        if (s == null || s.length() != 5 || (s.charAt(0) != '+' && s.charAt(0) != '-')
                || !s.substring(1).chars().allMatch(Character::isDigit)) {
            return null;
        }
        try {
            int sign = s.charAt(0) == '-' ? -1 : 1;
            return ZoneOffset.ofHoursMinutes(sign * Integer.parseInt(s.substring(1, 3)), sign * Integer.parseInt(s.substring(3, 5)));
        } catch (DateTimeException e) {
            return null;
        }
    }
}
