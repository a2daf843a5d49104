import { VALID_APPLICATION } from '../../../test/helpers/applications.js';
import { ChunkWriter } from './chunk-writer.js';
import { CODES, LAYOUT, NO_RATING, NO_SHADOW, NUMBERS } from './record-layout.js';
import { INPUT_FIELDS } from '../contract/loan-application.contract.js';

/** The last grade there is: its letter and digit codes are the largest. */
const GRADE_G5 = { ...VALID_APPLICATION, grade_subgrade: 'G5' };

describe('ChunkWriter and the record layout', () => {
  it('keeps every input in the contract order: numbers in numbers, enums and the grade as codes', () => {
    expect(LAYOUT.map((slot) => slot.field)).toEqual([...INPUT_FIELDS]);
    expect(NUMBERS).toBe(LAYOUT.filter((s) => s.kind === 'number').length + 2);
    // Enums, the grade's letter and digit, the decision, the shadow's decision and the rating grade.
    expect(CODES).toBe(LAYOUT.filter((s) => s.kind === 'enum').length + 2 + 3);
  });

  it('writes records into typed columns, one group per request, and starts over after take()', () => {
    const writer = new ChunkWriter(3);
    const answers = [
      { prediction_id: 'p1', probability_of_default: 0.9, decision: 'decline' as const, application_id: 'A-1' },
      { prediction_id: 'p2', probability_of_default: 0.1, decision: 'approve' as const },
    ];
    const group = { time: 1, requestId: 'r1', modelVersion: 'v2', threshold: 0.5 };
    writer.append([GRADE_G5, GRADE_G5], answers, 0, 2, group);
    writer.append([GRADE_G5], [answers[1]], 0, 1, {
      ...group,
      requestId: null,
      shadow: { version: 'v3', threshold: 0.05, scores: [0.2] },
    });
    expect(writer.room).toBe(0);
    const chunk = writer.take();
    expect([chunk.rows, chunk.groups, chunk.versions]).toEqual([3, 2, ['v2', 'v3']]);
    expect([...chunk.groupStarts]).toEqual([0, 2]);
    expect([...chunk.groupShadowVersions]).toEqual([NO_SHADOW, 1]);
    // The probability follows the numeric inputs; the shadow's follows it (NaN without one).
    const numeric = LAYOUT.filter((s) => s.kind === 'number').length;
    expect(chunk.numbers[numeric]).toBe(0.9);
    expect(chunk.numbers[2 * NUMBERS + numeric + 1]).toBeCloseTo(0.2);
    expect(Buffer.from(chunk.applicationIds.bytes).toString()).toBe('"A-1"nullnull');
    // The grade is two codes: letter and digit.
    const grade = LAYOUT.findIndex((s) => s.kind === 'grade');
    const gradeCode = LAYOUT.slice(0, grade).filter((s) => s.kind === 'enum').length;
    expect([chunk.codes[gradeCode], chunk.codes[gradeCode + 1]]).toEqual([6, 5]);
    expect([writer.rows, writer.room]).toEqual([0, 3]);
  });

  it("keeps each record's rating grade as its index in the version's scale, or NO_RATING without one", () => {
    const writer = new ChunkWriter(3);
    const grades = ['R1', 'R2', 'R3'];
    const rated = (grade: string) => ({
      prediction_id: 'p',
      probability_of_default: 0.2,
      decision: 'approve' as const,
      rating_grade: grade,
    });
    writer.append([VALID_APPLICATION, VALID_APPLICATION], [rated('R3'), rated('R1')], 0, 2, {
      time: 1,
      requestId: null,
      modelVersion: 'v1',
      threshold: 0.5,
      ratingGrades: grades,
    });
    writer.append([VALID_APPLICATION], [rated('R2')], 0, 1, {
      time: 1,
      requestId: null,
      modelVersion: 'v0',
      threshold: 0.5,
    });
    const chunk = writer.take();
    expect([0, 1, 2].map((row) => chunk.codes[row * CODES + CODES - 1])).toEqual([2, 0, NO_RATING]);
    expect(chunk.versionGrades).toEqual([grades, null]);
  });
});
