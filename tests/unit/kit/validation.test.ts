import { expect } from "chai";
import { HttpProblem } from "../../../services/kit/http/problems.ts";
import { validator } from "../../../services/kit/validation.ts";

const validate = validator<{ name: string; lines: Array<{ qty: number }> }>({
  type: "object",
  required: ["name", "lines"],
  properties: {
    name: { type: "string", minLength: 1 },
    email: { type: "string", format: "email" },
    lines: { type: "array", minItems: 1, items: { type: "object", required: ["qty"], properties: { qty: { type: "integer", minimum: 1 } } } },
  },
});

function problemOf(value: unknown): HttpProblem {
  try {
    validate(value);
  } catch (err) {
    return err as HttpProblem;
  }
  throw new Error("expected a problem");
}

describe("schema validation", () => {
  it("returns a valid value as it is", () => {
    const value = { name: "x", lines: [{ qty: 1 }] };
    expect(validate(value)).to.equal(value);
  });

  it("answers 422 naming every bad field as the client wrote it", () => {
    const problem = problemOf({ email: "nope", lines: [{ qty: 1 }, { qty: 0 }, {}] });
    expect(problem).to.be.instanceOf(HttpProblem);
    expect(problem.status).to.equal(422);
    expect(problem.errors!.map((e) => e.field)).to.have.members(["name", "email", "lines[1].qty", "lines[2].qty"]);
    expect(problem.errors!.find((e) => e.field === "name")!.message).to.equal("is required");
  });

  it("treats a body that is not an object as one bad field", () => {
    const problem = problemOf([1, 2]);
    expect(problem.errors).to.deep.equal([{ field: "(body)", message: "must be object" }]);
  });
});
