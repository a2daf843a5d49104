import { externalDataTensor, OnnxFormatError } from '../../service/src/model/onnx-external-data.js';
import { demoFiles, externalDataOnnx } from '../helpers/hostile-artifacts.js';

describe('externalDataTensor', () => {
  it('finds an initializer whose data lives in an external file, as the onnx package writes one', () => {
    expect(externalDataTensor(externalDataOnnx())).toBe('w');
  });

  it('finds none in the demo model, whose weights are all inside it', () => {
    expect(externalDataTensor(demoFiles()['model.onnx'])).toBeNull();
  });

  it('refuses bytes that are not a protobuf rather than guess', () => {
    expect(() => externalDataTensor(Buffer.from('not an onnx file'))).toThrow(OnnxFormatError);
    const model = demoFiles()['model.onnx'];
    expect(() => externalDataTensor(model.subarray(0, model.length - 7))).toThrow(/not an ONNX model/);
  });

  it('reads a file of 64 MB of raw tensor data in one pass, skipping the data by its length', () => {
    // A graph (field 7) holding one initializer (field 5) whose raw_data (field 9) is 64 MB of zeros.
    const data = Buffer.alloc(64 * 2 ** 20);
    const varint = (n: number) => {
      const out: number[] = [];
      for (; n >= 128; n = Math.floor(n / 128)) out.push((n % 128) | 128);
      return [...out, n];
    };
    const field = (number: number, body: Buffer) =>
      Buffer.concat([Buffer.from([...varint(number * 8 + 2), ...varint(body.length)]), body]);
    const tensor = Buffer.concat([field(8, Buffer.from('big')), field(9, data)]);
    expect(externalDataTensor(field(7, field(5, tensor)))).toBeNull();
  });
});
