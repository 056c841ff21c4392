#!/usr/bin/env python3
"""cases.py: the contract of /work/shared/spec/cli.md as a table of command lines, each with the
exit code, the JSON (value and gradients, hand-derived) and the stderr first line it must give.
Covers argument order, `--`, VALUE forms, names, statements, precedence, -f, JSON shape and
round trip, --check/--expect, non-finite results, nesting limits. Random programs: fuzz.py.

usage: cases.py TAPEGRAD [-v] [-k SUBSTRING]
Cases listed in KNOWN below are known deviations (tests/cli/conformance/KNOWN.md): reported as
XFAIL and not counted as failures. Ends with 'N passed, N failed'; exit 1 on any failure."""

import math
import os
import re
import sys
import tempfile

import fuzz

E = math.exp
sg = 1 / (1 + math.exp(-0.7))

# Case ids that are known deviations (see KNOWN.md); keep this list short and current.
KNOWN = set()  # open deviations: ids of cases expected to fail (see KNOWN.md)


def J(value, **grads):
    return ("json", value, list(grads.items()))


def JG(value, pairs):  # grads with names that are not Python identifiers, or a given order
    return ("json", value, pairs)


# Each row: id, argv (list; "{F}" = a temporary file, "{D}" = the temporary directory),
# expected exit code, and optional keys:
#   out: J(...) expected JSON (tolerance 1e-12 relative unless exact=True),
#   stdin: bytes, file: text of {F}, pos: (line, col, source line) of a syntax/name error,
#   err_has: substring (case-insensitive) the stderr must contain, stdout_has: substring,
#   any_exit: set of allowed exit codes (instead of exit), lines: number of stdout lines.
CASES = [
    # ---- argument order, options, `--`
    dict(id="json_first", argv=["--json", "x^2", "x=3"], exit=0, out=J(9.0, x=6.0)),
    dict(id="json_last", argv=["x^2", "x=3", "--json"], exit=0, out=J(9.0, x=6.0)),
    dict(id="json_between_inputs", argv=["x*y", "x=3", "--json", "y=2"], exit=0,
         out=J(6.0, x=2.0, y=3.0)),
    dict(id="program_with_equals_is_program", argv=["--json", "a = x*2; a^2", "x=3"], exit=0,
         out=J(36.0, x=24.0)),
    dict(id="first_nonoption_x=1_is_program", argv=["--json", "x=1"], exit=0, out=J(1.0)),
    dict(id="later_arg_must_be_name_value", argv=["--json", "x=1", "x"], exit=2),
    dict(id="program_x=1_assigns_input_x", argv=["--json", "x=1", "x=2"], exit=2),
    dict(id="dashdash_program_starting_with_minus", argv=["--json", "--", "-x^2", "x=3"], exit=0,
         out=J(-9.0, x=-6.0)),
    dict(id="dashdash_then_plain_program", argv=["--json", "--", "x*2", "x=1"], exit=0,
         out=J(2.0, x=2.0)),
    dict(id="minus_program_without_dashdash_is_option", argv=["--json", "-x^2", "x=3"], exit=2),
    dict(id="option_after_dashdash_is_not_option", argv=["--", "x", "x=1", "--json"], exit=2),
    dict(id="no_arguments", argv=[], exit=2),
    dict(id="options_but_no_program", argv=["--json"], exit=2),
    dict(id="unknown_option", argv=["--bogus", "x", "x=1"], exit=2),
    dict(id="help_exit_0", argv=["--help"], exit=0),
    dict(id="version_exit_0", argv=["--version"], exit=0),
    # ---- VALUE forms
    dict(id="value_-0.5", argv=["--json", "x*2", "x=-0.5"], exit=0, out=J(-1.0, x=2.0)),
    dict(id="value_1e+20", argv=["--json", "x*2", "x=1e+20"], exit=0, out=J(2e20, x=2.0)),
    dict(id="value_3.", argv=["--json", "x*2", "x=3."], exit=0, out=J(6.0, x=2.0)),
    dict(id="value_.25", argv=["--json", "x*2", "x=.25"], exit=0, out=J(0.5, x=2.0)),
    dict(id="value_+2", argv=["--json", "x*2", "x=+2"], exit=0, out=J(4.0, x=2.0)),
    dict(id="value_-.5e-1", argv=["--json", "x*2", "x=-.5e-1"], exit=0, out=J(-0.1, x=2.0)),
    dict(id="value_6.02E23", argv=["--json", "x", "x=6.02E23"], exit=0, out=J(6.02e23, x=1.0)),
] + [
    dict(id="value_rejected_%r" % v, argv=["--json", "x", "x=" + v], exit=2)
    for v in ["inf", "-inf", "nan", "NaN", "infinity", "0x10", "", "1e309", "-1e309", "1.5x",
              "1e", ".", "-", "1,5", "1e5.5", "--1", "2 3"]
] + [
    # ---- input names
    dict(id="empty_name", argv=["--json", "1", "=3"], exit=2),
    dict(id="name_starting_with_digit", argv=["--json", "1", "1x=3"], exit=2),
    dict(id="name_with_minus", argv=["--json", "1", "x-y=3"], exit=2),
    dict(id="name_with_dot", argv=["--json", "1", "x.y=3"], exit=2),
] + [
    dict(id="function_name_as_input_" + f, argv=["--json", "1", f + "=1"], exit=2)
    for f in ["exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "abs", "pow"]
] + [
    dict(id="duplicate_input", argv=["--json", "x", "x=1", "x=2"], exit=2),
    dict(id="duplicate_input_same_value", argv=["--json", "x", "x=1", "x=1"], exit=2),
    dict(id="names_case_sensitive_inputs", argv=["--json", "x-X", "x=1", "X=2"], exit=0,
         out=J(-1.0, x=1.0, X=-1.0)),
    dict(id="underscore_and_digits_name", argv=["--json", "_a1*B_2", "_a1=2", "B_2=5"], exit=0,
         out=J(10.0, _a1=5.0, B_2=2.0)),
    dict(id="function_like_names_are_free", argv=["--json", "Exp*sinx", "Exp=3", "sinx=2"],
         exit=0, out=J(6.0, Exp=2.0, sinx=3.0)),
    dict(id="unused_input_grad_0", argv=["--json", "x", "x=1", "y=2"], exit=0,
         out=J(1.0, x=1.0, y=0.0)),
    dict(id="grad_order_is_command_line_order", argv=["--json", "x*y", "y=2", "x=3"], exit=0,
         out=JG(6.0, [("y", 3.0), ("x", 2.0)])),
    dict(id="no_inputs_empty_grad", argv=["--json", "2*3"], exit=0, out=J(6.0)),
    # ---- statements, names
    dict(id="assign_to_input", argv=["--json", "x = 2", "x=1"], exit=2, pos=(1, 1, "x = 2")),
    dict(id="assign_to_input_later", argv=["--json", "y = x\nx = y*2", "x=1"], exit=2,
         pos=(2, 1, "x = y*2")),
    dict(id="read_before_assign", argv=["--json", "y = z; z = 1; y"], exit=2,
         pos=(1, 5, "y = z; z = 1; y")),
    dict(id="unknown_name_line2", argv=["--json", "x = 1\ny = z + 1\n"], exit=2,
         pos=(2, 5, "y = z + 1")),
    dict(id="self_reference_first_assignment", argv=["--json", "c = c + 1"], exit=2,
         pos=(1, 5, "c = c + 1")),
    dict(id="unknown_name_case", argv=["--json", "X", "x=1"], exit=2, pos=(1, 1, "X")),
    dict(id="reassignment_newest_binding", argv=["--json", "c = x; c = c*c; c = c + x", "x=3"],
         exit=0, out=J(12.0, x=7.0)),
    dict(id="old_binding_kept_by_copy", argv=["--json", "a = x; b = a; a = 2*x; b + a", "x=1"],
         exit=0, out=J(3.0, x=3.0)),
    dict(id="last_statement_assignment_is_output", argv=["--json", "y = x*3", "x=2"], exit=0,
         out=J(6.0, x=3.0)),
    dict(id="assign_no_inputs", argv=["--json", "a = 2; b = a*a"], exit=0, out=J(4.0)),
    dict(id="empty_program", argv=["--json", ""], exit=2),
    dict(id="comment_only_program", argv=["--json", "# nothing"], exit=2),
    dict(id="semicolons_only_program", argv=["--json", ";;"], exit=2),
    dict(id="blank_lines_only_program", argv=["--json", "\n \n\t\n"], exit=2),
    dict(id="comment_lines_only_program", argv=["--json", "# a\n\n# b\n", "x=1"], exit=2),
    dict(id="trailing_semicolon", argv=["--json", "x*2;", "x=1.5"], exit=0, out=J(3.0, x=2.0)),
    dict(id="trailing_newline_and_comment", argv=["--json", "x*2\n# end\n\n", "x=1.5"], exit=0,
         out=J(3.0, x=2.0)),
    dict(id="double_semicolon_skipped", argv=["--json", "x;;y", "x=1", "y=5"], exit=0,
         out=J(5.0, x=0.0, y=1.0)),
    dict(id="leading_separators", argv=["--json", ";\n;x*3", "x=1"], exit=0, out=J(3.0, x=3.0)),
    dict(id="newline_ends_statement", argv=["--json", "x*2 # c\n+1", "x=2"], exit=0,
         out=J(1.0, x=0.0)),
    dict(id="dangling_operator_before_newline", argv=["--json", "x +\n1", "x=1"], exit=2),
    dict(id="newline_inside_parens_is_space", argv=["--json", "(x +\n 1)*2", "x=2"], exit=0,
         out=J(6.0, x=2.0)),
    dict(id="comment_inside_parens", argv=["--json", "(x + # c\n 1)", "x=2"], exit=0,
         out=J(3.0, x=1.0)),
    dict(id="newline_inside_call_parens", argv=["--json", "pow(x,\n 2)", "x=3"], exit=0,
         out=J(9.0, x=6.0)),
    dict(id="tabs_and_cr", argv=["--json", "x\t*\t2\r\n", "x=3"], exit=0, out=J(6.0, x=2.0)),
    dict(id="crlf_statements", argv=["--json", "a = x*2\r\na^2\r\n", "x=3"], exit=0,
         out=J(36.0, x=24.0)),
    dict(id="comment_semicolon_not_separator", argv=["--json", "x*2 # ; y\n", "x=1", "y=4"],
         exit=0, out=J(2.0, x=2.0, y=0.0)),
    # ---- syntax
    dict(id="unbalanced_open", argv=["--json", "(x", "x=1"], exit=2),
    dict(id="unbalanced_close", argv=["--json", "x)", "x=1"], exit=2),
    dict(id="two_primaries", argv=["--json", "x y", "x=1", "y=1"], exit=2),
    dict(id="implicit_multiplication", argv=["--json", "2x", "x=1"], exit=2),
    dict(id="bad_character", argv=["--json", "x $ 1", "x=1"], exit=2, pos=(1, 3, "x $ 1")),
    dict(id="double_dot_number", argv=["--json", "1..2"], exit=2),
    dict(id="spaced_star_star", argv=["--json", "x * * 2", "x=1"], exit=2),
    dict(id="equality_is_a_comparison_v2", argv=["--json", "x == 1", "x=1"], exit=0,
         out=J(1.0, x=0.0)),
    dict(id="chained_assignment", argv=["--json", "a = b = 1"], exit=2),
    dict(id="assign_to_number", argv=["--json", "1 = 2"], exit=2),
    dict(id="empty_parens", argv=["--json", "()"], exit=2),
    dict(id="trailing_operator", argv=["--json", "x*", "x=1"], exit=2),
    dict(id="function_name_assigned", argv=["--json", "exp = 1"], exit=2),
    dict(id="function_name_read", argv=["--json", "sin"], exit=2),
    dict(id="function_without_parens", argv=["--json", "sin x", "x=1"], exit=2),
    dict(id="pow_one_argument", argv=["--json", "pow(x)", "x=1"], exit=2),
    dict(id="pow_three_arguments", argv=["--json", "pow(x,2,3)", "x=1"], exit=2),
    dict(id="exp_two_arguments", argv=["--json", "exp(x, 1)", "x=1"], exit=2),
    dict(id="call_without_argument", argv=["--json", "exp()"], exit=2),
    dict(id="unknown_function", argv=["--json", "foo(x)", "x=1"], exit=2, pos=(1, 1, "foo(x)")),
    dict(id="input_called_as_function", argv=["--json", "f(x)", "f=1", "x=1"], exit=2),
    dict(id="function_names_case_sensitive", argv=["--json", "EXP(x)", "x=1"], exit=2),
    # ---- numbers and precedence (values derived by hand)
    dict(id="number_forms", argv=["--json", ".5*x + 5.*x + 1e-3*x + 1e+3*x + 6.02E23", "x=1"],
         exit=0, out=J(0.5 + 5 + 1e-3 + 1e3 + 6.02e23, x=0.5 + 5 + 1e-3 + 1e3)),
    dict(id="star_star_is_power", argv=["--json", "x**3", "x=2"], exit=0, out=J(8.0, x=12.0)),
    dict(id="neg_binds_below_power", argv=["--json", "--", "-x^2", "x=3"], exit=0,
         out=J(-9.0, x=-6.0)),
    dict(id="neg_power_parenthesised", argv=["--json", "(-x)^2", "x=3"], exit=0,
         out=J(9.0, x=6.0)),
    dict(id="power_of_negative_exponent", argv=["--json", "2^-1"], exit=0, out=J(0.5)),
    dict(id="star_star_negative_exponent", argv=["--json", "2**-1"], exit=0, out=J(0.5)),
    dict(id="power_right_assoc", argv=["--json", "2^3^2"], exit=0, out=J(512.0)),
    dict(id="power_right_assoc_star_star_mix", argv=["--json", "2**3^2"], exit=0, out=J(512.0)),
    dict(id="neg_power_neg_exponent", argv=["--json", "--", "-2^-2"], exit=0, out=J(-0.25)),
    dict(id="minus_left_assoc", argv=["--json", "1-2-3"], exit=0, out=J(-4.0)),
    dict(id="divide_left_assoc", argv=["--json", "8/4/2"], exit=0, out=J(1.0)),
    dict(id="mul_above_add", argv=["--json", "1+2*3"], exit=0, out=J(7.0)),
    dict(id="power_above_mul", argv=["--json", "2*3^2"], exit=0, out=J(18.0)),
    dict(id="unary_above_mul", argv=["--json", "--", "-x*y", "x=2", "y=3"], exit=0,
         out=J(-6.0, x=-3.0, y=-2.0)),
    dict(id="double_minus", argv=["--json", "x--y", "x=1", "y=2"], exit=0,
         out=J(3.0, x=1.0, y=1.0)),
    dict(id="unary_plus_chain", argv=["--json", "+-+x", "x=2"], exit=0, out=J(-2.0, x=-1.0)),
    dict(id="power_in_exponent_with_minus", argv=["--json", "2^-x^2", "x=1"], exit=0,
         out=J(0.5, x=0.5 * math.log(2) * -2)),
    dict(id="x_pow_minus_one", argv=["--json", "x^-1", "x=2"], exit=0, out=J(0.5, x=-0.25)),
    dict(id="a_times_2_squared_as_program", argv=["--json", "a = x*2; a^2", "x=3"], exit=0,
         out=J(36.0, x=24.0)),
    # ---- functions (derivatives by hand: d exp = exp, d log = 1/x, d sqrt = 1/(2 sqrt x), ...)
    dict(id="exp", argv=["--json", "exp(x)", "x=0.7"], exit=0, out=J(E(0.7), x=E(0.7))),
    dict(id="log", argv=["--json", "log(x)", "x=0.7"], exit=0, out=J(math.log(0.7), x=1 / 0.7)),
    dict(id="sqrt", argv=["--json", "sqrt(x)", "x=0.7"], exit=0,
         out=J(math.sqrt(0.7), x=0.5 / math.sqrt(0.7))),
    dict(id="sin", argv=["--json", "sin(x)", "x=0.7"], exit=0,
         out=J(math.sin(0.7), x=math.cos(0.7))),
    dict(id="cos", argv=["--json", "cos(x)", "x=0.7"], exit=0,
         out=J(math.cos(0.7), x=-math.sin(0.7))),
    dict(id="tan", argv=["--json", "tan(x)", "x=0.7"], exit=0,
         out=J(math.tan(0.7), x=1 / math.cos(0.7) ** 2)),
    dict(id="tanh", argv=["--json", "tanh(x)", "x=0.7"], exit=0,
         out=J(math.tanh(0.7), x=1 / math.cosh(0.7) ** 2)),
    dict(id="sigmoid", argv=["--json", "sigmoid(x)", "x=0.7"], exit=0,
         out=J(sg, x=E(-0.7) / (1 + E(-0.7)) ** 2)),
    dict(id="relu_positive", argv=["--json", "relu(x)", "x=0.7"], exit=0, out=J(0.7, x=1.0)),
    dict(id="relu_negative", argv=["--json", "relu(x)", "x=-0.7"], exit=0, out=J(0.0, x=0.0)),
    dict(id="relu_at_0_grad_0", argv=["--json", "relu(x)", "x=0"], exit=0, out=J(0.0, x=0.0)),
    dict(id="abs_negative", argv=["--json", "abs(x)", "x=-0.7"], exit=0, out=J(0.7, x=-1.0)),
    dict(id="abs_at_0_grad_0", argv=["--json", "abs(x)", "x=0"], exit=0, out=J(0.0, x=0.0)),
    dict(id="pow_function", argv=["--json", "pow(x, y)", "x=2", "y=3"], exit=0,
         out=J(8.0, x=12.0, y=8 * math.log(2))),
    dict(id="pow_function_literal_exponent_negative_base", argv=["--json", "pow(x, 2)", "x=-2"],
         exit=0, out=J(4.0, x=-4.0)),
    dict(id="literal_exponent_negative_base", argv=["--json", "x^2", "x=-2"], exit=0,
         out=J(4.0, x=-4.0)),
    dict(id="constant_expression_exponent_negative_base", argv=["--json", "x^(1+1)", "x=-2"],
         exit=0, out=J(4.0, x=-4.0)),
    dict(id="x_pow_0_at_0", argv=["--json", "x^0", "x=0"], exit=0, out=J(1.0, x=0.0)),
    dict(id="x_pow_y_at_0_0", argv=["--json", "x^y", "x=0", "y=0"], exit=0,
         out=J(1.0, x=0.0, y=0.0)),
    dict(id="x_pow_y_at_0_2", argv=["--json", "x^y", "x=0", "y=2"], exit=0,
         out=J(0.0, x=0.0, y=0.0)),
    dict(id="x_pow_y_negative_base_nan_exponent_grad", argv=["--json", "x^y", "x=-2", "y=2"],
         exit=2),
    dict(id="sqrt_relu_at_negative_torch_grad_0", argv=["--json", "sqrt(relu(x))", "x=-1"],
         exit=0, out=J(0.0, x=0.0)),
    dict(id="pow_zero_exponent_absorbs_infinite_upstream", argv=["--json", "sqrt(x^0 - 1)",
         "x=2"], exit=0, out=J(0.0, x=0.0)),
    dict(id="pow_zero_base_tensor_absorbs_infinite_upstream", argv=["--json",
         "sqrt(x^y)*0 + y", "x=0", "y=2"], exit=2),
    dict(id="pow_zero_exponent_absorbs_nan_exponent_grad", argv=["--json", "pow(-2, x^0)",
         "x=3"], exit=0, out=J(-2.0, x=0.0)),
    dict(id="relu_absorbs_nan_exponent_grad", argv=["--json", "pow(y, relu(x))", "x=-1",
         "y=-1"], exit=0, out=J(1.0, x=0.0, y=0.0)),
    dict(id="pow_exponent_grad_at_zero_base_multiplies", argv=["--json", "t = x^y; sqrt(t)*t",
         "x=0", "y=2"], exit=2),
    dict(id="fan_out_sum", argv=["--json", "a = x*y; a + a*a", "x=2", "y=3"], exit=0,
         out=J(42.0, x=3 + 2 * 6 * 3, y=2 + 2 * 6 * 2)),
    # ---- non-finite results
    dict(id="log_negative", argv=["--json", "log(x)", "x=-1"], exit=2, err_has="log"),
    dict(id="log_zero", argv=["--json", "log(x)", "x=0"], exit=2, err_has="log"),
    dict(id="div_by_zero", argv=["--json", "1/x", "x=0"], exit=2),
    dict(id="names_first_nonfinite_operation", argv=["--json", "t = 1/x; log(x-2) + t", "x=0"],
         exit=2, err_has="1/x"),
    dict(id="names_first_nonfinite_operation_log", argv=["--json", "log(x-2) + 1/x", "x=0"],
         exit=2, err_has="log"),
    dict(id="sqrt_at_0_infinite_grad", argv=["--json", "sqrt(x)", "x=0"], exit=2,
         err_has="sqrt"),
    dict(id="exp_overflow", argv=["--json", "exp(x)", "x=1000"], exit=2, err_has="exp"),
    dict(id="power_negative_base_fraction", argv=["--json", "x^0.5", "x=-1"], exit=2),
    dict(id="literal_overflow", argv=["--json", "1e999*x", "x=1"], exit=2),
    dict(id="infinite_intermediate_finite_output", argv=["--json", "x*(1/exp(1000))", "x=1"],
         exit=2),
    dict(id="nonfinite_in_dead_statement_ok", argv=["--json", "t = log(-1); x*2", "x=1"],
         exit=0, out=J(2.0, x=2.0)),
    dict(id="literal_overflow_in_dead_statement_ok", argv=["--json", "t = 1e999; x", "x=1"],
         exit=0, out=J(1.0, x=1.0)),
    dict(id="nonfinite_text_mode_too", argv=["log(x)", "x=-1"], exit=2),
    # ---- -f FILE
    dict(id="file_program", argv=["--json", "-f", "{F}", "x=3"], file="a = x*2\n# c\na^2\n",
         exit=0, out=J(36.0, x=24.0)),
    dict(id="file_option_after_inputs", argv=["x=3", "--json", "-f", "{F}"], file="x*x",
         exit=0, out=J(9.0, x=6.0)),
    dict(id="file_stdin", argv=["--json", "-f", "-", "x=3"], stdin=b"a = x*2\na^2\n", exit=0,
         out=J(36.0, x=24.0)),
    dict(id="file_missing", argv=["--json", "-f", "{D}/no-such-file", "x=1"], exit=2),
    dict(id="file_is_directory", argv=["--json", "-f", "{D}", "x=1"], exit=2),
    dict(id="file_plus_program_argument", argv=["--json", "-f", "{F}", "x", "x=1"], file="x",
         exit=2),
    dict(id="file_error_position", argv=["--json", "-f", "{F}"], file="x = 1\ny = z + 1\n",
         exit=2, pos=(2, 5, "y = z + 1")),
    dict(id="file_empty", argv=["--json", "-f", "{F}"], file="", exit=2),
    dict(id="file_without_argument", argv=["--json", "-f"], exit=2),
    # ---- JSON numbers: 17 significant digits read back to the same double
    dict(id="roundtrip_0.1", argv=["--json", "x", "x=0.1"], exit=0, out=J(0.1, x=1.0),
         exact=True),
    dict(id="roundtrip_third", argv=["--json", "x/3", "x=1"], exit=0, out=J(1 / 3, x=1 / 3),
         exact=True),
    dict(id="roundtrip_product", argv=["--json", "x*y", "x=0.1", "y=0.2"], exit=0,
         out=J(0.1 * 0.2, x=0.2, y=0.1), exact=True),
    dict(id="roundtrip_huge_tiny", argv=["--json", "x*1e300", "x=1.2345678901234567e-10"],
         exit=0, out=J(1.2345678901234567e-10 * 1e300, x=1e300), exact=True),
    dict(id="roundtrip_subnormal", argv=["--json", "x", "x=5e-324"], exit=0, out=J(5e-324, x=1.0),
         exact=True),
    dict(id="roundtrip_max", argv=["--json", "x", "x=1.7976931348623157e308"], exit=0,
         out=J(1.7976931348623157e308, x=1.0), exact=True),
    dict(id="negative_zero_value", argv=["--json", "--", "-x", "x=0"], exit=0,
         out=J(-0.0, x=-1.0), exact=True),
    # ---- text output: value then one line per input
    dict(id="text_lines", argv=["x*y", "x=3", "y=2"], exit=0, lines=3),
    dict(id="text_lines_no_inputs", argv=["2*3"], exit=0, lines=1),
    # ---- --check / --expect / --trace / --dot
    dict(id="check_smooth_exit_0", argv=["--check", "x*y + sin(x)", "x=1.3", "y=-0.7"], exit=0),
    dict(id="check_kink_mismatch_exit_1", argv=["--check", "relu(x)", "x=0"], exit=1),
    dict(id="expect_right_exit_0", argv=["x^2", "x=3", "--expect", "x=2*x"], exit=0),
    dict(id="expect_wrong_exit_1", argv=["x^2", "x=3", "--expect", "x=3*x"], exit=1),
    dict(id="expect_issue_example", argv=["sigmoid(w*x+b)", "w=0.5", "x=2", "b=0.1", "--expect",
                                          "w=sigmoid(w*x+b)*(1-sigmoid(w*x+b))*x"], exit=0),
    dict(id="expect_two", argv=["x*y", "x=3", "y=2", "--expect", "x=y", "--expect", "y=x"],
         exit=0),
    dict(id="expect_two_one_wrong", argv=["x*y", "x=3", "y=2", "--expect", "x=y", "--expect",
                                          "y=y"], exit=1),
    dict(id="expect_unknown_name", argv=["x^2", "x=3", "--expect", "q=1"], exit=2),
    dict(id="expect_syntax_error", argv=["x^2", "x=3", "--expect", "x=2*"], exit=2),
    dict(id="json_with_check_keeps_value_and_grad_first", argv=["--json", "--check", "x^2",
         "x=3"], exit=0, out=J(9.0, x=6.0), extra_ok=True),
    dict(id="json_with_check_mismatch_exit_1", argv=["--json", "--check", "relu(x)", "x=0"],
         exit=1),
    dict(id="json_with_expect_keeps_value_and_grad_first", argv=["--json", "x^2", "x=3",
         "--expect", "x=2*x"], exit=0, out=J(9.0, x=6.0), extra_ok=True),
    dict(id="trace_runs", argv=["--trace", "a = x*y; a + x", "x=2", "y=3"], exit=0,
         stdout_has="x", feature=True),
    dict(id="trace_product_upstream_times_local", argv=["--trace", "a = x*y; a + x", "x=2",
         "y=3"], exit=0, stdout_re=r"1 (\*|x|\u00d7) 3 = 3", feature=True),
    dict(id="trace_sum_where_node_feeds_two", argv=["--trace", "a = x*y; a + x", "x=2",
         "y=3"], exit=0, stdout_re=r"(1 \+ 3|3 \+ 1) = 4", feature=True),
    dict(id="trace_markdown_runs", argv=["--trace=markdown", "a = x*y; a + x", "x=2", "y=3"],
         exit=0, stdout_has="|", feature=True),
    dict(id="dot_stdout", argv=["--dot", "-", "x*y", "x=2", "y=3"], exit=0,
         stdout_has="digraph", feature=True),
    dict(id="dot_file", argv=["--dot", "{D}/g.dot", "x*y", "x=2", "y=3"], exit=0,
         file_has=("g.dot", "digraph"), feature=True),
    # ---- nesting and size
    dict(id="nesting_1000_parens", argv=["--json", "(" * 1000 + "x" + ")" * 1000, "x=2"], exit=0,
         out=J(2.0, x=1.0)),
    dict(id="nesting_1000_calls", argv=["--json", "abs(" * 1000 + "x" + ")" * 1000, "x=-2"],
         exit=0, out=J(2.0, x=-1.0)),
    dict(id="nesting_1000_mixed", argv=["--json", "(-(" * 500 + "x" + "))" * 500, "x=2"], exit=0,
         out=J(2.0, x=1.0)),
    dict(id="nesting_1000_parens_with_signs", argv=["--json", "(-" * 1000 + "x" + ")" * 1000,
         "x=2"], exit=0, out=J(2.0, x=1.0)),
    dict(id="nesting_1000_power_chain", argv=["--json", "1^" * 1000 + "x", "x=3"], exit=0,
         out=J(1.0, x=0.0)),
    dict(id="nesting_100000_parens_clear_error", argv=["--json", "-f", "{F}", "x=1"],
         file="(" * 100000 + "x" + ")" * 100000, exit=2),
    dict(id="nesting_100000_calls_clear_error", argv=["--json", "-f", "{F}", "x=1"],
         file="exp(" * 100000 + "x" + ")" * 100000, exit=2),
    dict(id="nesting_1000000_open_parens_no_crash", argv=["--json", "-f", "{F}", "x=1"],
         file="(" * 1000000, exit=2),
    dict(id="flat_chain_100000_add", argv=["--json", "-f", "{F}", "x=1"],
         file="+".join(["x"] * 100000), exit=0, out=J(100000.0, x=100000.0)),
    dict(id="flat_chain_100000_mul", argv=["--json", "-f", "{F}", "x=1"],
         file="*".join(["x"] * 100000), exit=0, out=J(1.0, x=100000.0)),
    dict(id="flat_chain_100000_sub", argv=["--json", "-f", "{F}", "x=1"],
         file="0" + "-x" * 100000, exit=0, out=J(-100000.0, x=-100000.0)),
    dict(id="unary_chain_100000_no_crash", argv=["--json", "-f", "{F}", "x=3"],
         file="-" * 100000 + "x", any_exit={0, 2}, out_if_0=J(3.0, x=1.0)),
    dict(id="power_chain_100000_no_crash", argv=["--json", "-f", "{F}", "x=3"],
         file="1^" * 100000 + "x", any_exit={0, 2}, out_if_0=J(1.0, x=0.0)),
    dict(id="inputs_3000", argv=["--json", "+".join("x%d*x%d" % (i, i) for i in range(3000))]
         + ["x%d=%d" % (i, i % 7) for i in range(3000)], exit=0,
         out=JG(float(sum((i % 7) ** 2 for i in range(3000))),
                [("x%d" % i, 2.0 * (i % 7)) for i in range(3000)])),
    dict(id="fan_out_doubling_50", argv=["--json", "t = x\n" + "t = t + t\n" * 50, "x=1"],
         exit=0, out=J(2.0 ** 50, x=2.0 ** 50), exact=True),
    dict(id="fan_out_doubling_overflow", argv=["--json", "t = x\n" + "t = t + t\n" * 1100,
         "x=1"], exit=2),
    dict(id="statements_20000", argv=["--json", "-f", "{F}", "x=1"],
         file="c = x\n" + "c = c + x\n" * 20000, exit=0, out=J(20001.0, x=20001.0)),
]


# ---- version 2 (shared/spec/cli.md): every value and derivative derived by hand
S1 = math.sqrt
x3, a17 = 0.3, 1.7
SIG3 = 1 / (1 + math.exp(-x3))
CHAIN_1000 = "f0(a) = a + 1\n" + "".join("f%d(a) = f%d(a) + 1\n" % (i, i - 1)
                                        for i in range(1, 1000)) + "f999(x)\n"
DOUBLING = "f0(a) = a + a\n" + "".join("f%d(a) = f%d(f%d(a))\n" % (i, i - 1, i - 1)
                                        for i in range(1, 40)) + "f39(x)\n"
NEURON = "yhat = sigmoid(w*x + b)\nL = (y - yhat)^2/2"
V2 = [
    # the new functions: d asin = 1/sqrt(1-a^2), d acos = -1/sqrt(1-a^2), d atan = 1/(1+a^2)
    dict(id="v2_asin", argv=["--json", "asin(x)", "x=0.3"], exit=0,
         out=J(math.asin(x3), x=1 / S1(1 - x3 * x3))),
    dict(id="v2_acos", argv=["--json", "acos(x)", "x=0.3"], exit=0,
         out=J(math.acos(x3), x=-1 / S1(1 - x3 * x3))),
    dict(id="v2_atan", argv=["--json", "atan(x)", "x=0.3"], exit=0,
         out=J(math.atan(x3), x=1 / (1 + x3 * x3))),
    dict(id="v2_sinh", argv=["--json", "sinh(x)", "x=0.3"], exit=0,
         out=J(math.sinh(x3), x=math.cosh(x3))),
    dict(id="v2_cosh", argv=["--json", "cosh(x)", "x=0.3"], exit=0,
         out=J(math.cosh(x3), x=math.sinh(x3))),
    dict(id="v2_asinh", argv=["--json", "asinh(x)", "x=0.3"], exit=0,
         out=J(math.asinh(x3), x=1 / S1(x3 * x3 + 1))),
    dict(id="v2_acosh", argv=["--json", "acosh(x)", "x=1.7"], exit=0,
         out=J(math.acosh(a17), x=1 / S1(a17 * a17 - 1))),
    dict(id="v2_atanh", argv=["--json", "atanh(x)", "x=0.3"], exit=0,
         out=J(math.atanh(x3), x=1 / (1 - x3 * x3))),
    dict(id="v2_log1p", argv=["--json", "log1p(x)", "x=0.3"], exit=0,
         out=J(math.log1p(x3), x=1 / 1.3)),
    dict(id="v2_log1p_tiny", argv=["--json", "log1p(x)", "x=1e-20"], exit=0, out=J(1e-20, x=1.0)),
    dict(id="v2_expm1", argv=["--json", "expm1(x)", "x=0.3"], exit=0,
         out=J(math.expm1(x3), x=math.exp(x3))),
    dict(id="v2_log2", argv=["--json", "log2(x)", "x=8"], exit=0, out=J(3.0, x=1 / (8 * math.log(2)))),
    dict(id="v2_log10", argv=["--json", "log10(x)", "x=1000"], exit=0,
         out=J(3.0, x=1 / (1000 * math.log(10)))),
    dict(id="v2_erf", argv=["--json", "erf(x)", "x=0.3"], exit=0,
         out=J(math.erf(x3), x=2 / S1(math.pi) * math.exp(-x3 * x3))),
    dict(id="v2_erfc", argv=["--json", "erfc(x)", "x=0.3"], exit=0,
         out=J(math.erfc(x3), x=-2 / S1(math.pi) * math.exp(-x3 * x3))),
    dict(id="v2_softplus", argv=["--json", "softplus(x)", "x=0.3"], exit=0,
         out=J(math.log(1 + math.exp(x3)), x=SIG3)),
    dict(id="v2_softplus_no_overflow", argv=["--json", "softplus(x)", "x=1000"], exit=0,
         out=J(1000.0, x=1.0)),
    dict(id="v2_softplus_no_cancellation", argv=["--json", "softplus(x)", "x=-50"], exit=0,
         out=J(math.exp(-50), x=math.exp(-50))),
    dict(id="v2_asin_outside_domain", argv=["--json", "asin(x)", "x=2"], exit=2),
    dict(id="v2_acosh_at_1_infinite_slope", argv=["--json", "acosh(x)", "x=1"], exit=2),
    # two arguments: d atan2(y, x) = (x, -y)/(x^2 + y^2); d hypot = (a, b)/hypot
    dict(id="v2_atan2", argv=["--json", "atan2(y, x)", "y=1", "x=2"], exit=0,
         out=J(math.atan2(1, 2), y=2 / 5, x=-1 / 5)),
    dict(id="v2_atan2_at_origin_value_0", argv=["--json", "atan2(0, 0)"], exit=0, out=J(0.0)),
    dict(id="v2_atan2_at_origin_derivative_error", argv=["--json", "atan2(y, x)", "y=0", "x=0"],
         exit=2),
    dict(id="v2_hypot", argv=["--json", "hypot(a, b)", "a=3", "b=4"], exit=0,
         out=J(5.0, a=0.6, b=0.8)),
    dict(id="v2_hypot_at_origin_derivative_0", argv=["--json", "hypot(a, b)", "a=0", "b=0"],
         exit=0, out=J(0.0, a=0.0, b=0.0)),
    dict(id="v2_hypot_no_overflow", argv=["--json", "hypot(a, b)", "a=3e200", "b=4e200"], exit=0,
         out=J(5e200, a=0.6, b=0.8)),
    dict(id="v2_min", argv=["--json", "min(x, y)", "x=1", "y=2"], exit=0, out=J(1.0, x=1.0, y=0.0)),
    dict(id="v2_max", argv=["--json", "max(x, y)", "x=1", "y=2"], exit=0, out=J(2.0, x=0.0, y=1.0)),
    dict(id="v2_max_tie_half_each", argv=["--json", "max(x, y)", "x=1", "y=1"], exit=0,
         out=J(1.0, x=0.5, y=0.5)),
    dict(id="v2_min_tie_half_each", argv=["--json", "min(x, y)*4", "x=-2", "y=-2"], exit=0,
         out=J(-8.0, x=2.0, y=2.0)),
    dict(id="v2_max_x_x_derivative_1", argv=["--json", "max(x, x)", "x=2"], exit=0,
         out=J(2.0, x=1.0)),
    dict(id="v2_min_arity", argv=["--json", "min(x)", "x=1"], exit=2),
    dict(id="v2_where_arity", argv=["--json", "where(x, 1)", "x=1"], exit=2),
    # comparisons: 1 or 0, no gradient, the loosest operators, not associative
    dict(id="v2_lt_true", argv=["--json", "x < y", "x=1", "y=2"], exit=0, out=J(1.0, x=0.0, y=0.0)),
    dict(id="v2_le_equal", argv=["--json", "x <= y", "x=2", "y=2"], exit=0, out=J(1.0, x=0.0, y=0.0)),
    dict(id="v2_gt_false", argv=["--json", "x > y", "x=1", "y=2"], exit=0, out=J(0.0, x=0.0, y=0.0)),
    dict(id="v2_ge", argv=["--json", "x >= y", "x=3", "y=2"], exit=0, out=J(1.0, x=0.0, y=0.0)),
    dict(id="v2_eq_false", argv=["--json", "x == y", "x=3", "y=2"], exit=0, out=J(0.0, x=0.0, y=0.0)),
    dict(id="v2_ne_true", argv=["--json", "x != y", "x=3", "y=2"], exit=0, out=J(1.0, x=0.0, y=0.0)),
    dict(id="v2_comparison_below_arithmetic", argv=["--json", "a + 1 < b*2", "a=1", "b=1"], exit=0,
         out=J(0.0, a=0.0, b=0.0)),
    dict(id="v2_comparison_below_unary_minus", argv=["--json", "--", "-x < 0", "x=1"], exit=0,
         out=J(1.0, x=0.0)),
    dict(id="v2_comparison_times_value", argv=["--json", "(x > 0)*x", "x=2"], exit=0,
         out=J(2.0, x=1.0)),
    dict(id="v2_comparison_passes_no_gradient", argv=["--json", "(sqrt(x) > 0)*3", "x=0"], exit=0,
         out=J(0.0, x=0.0)),
    dict(id="v2_comparisons_do_not_chain", argv=["--json", "a < b < c", "a=1", "b=2", "c=3"],
         exit=2, pos=(1, 7, "a < b < c")),
    dict(id="v2_comparisons_do_not_chain_mixed", argv=["--json", "a == b != c", "a=1", "b=2",
                                                       "c=3"], exit=2),
    dict(id="v2_parenthesised_comparisons_chain", argv=["--json", "(a < b) < c", "a=1", "b=2",
                                                        "c=3"], exit=0,
         out=J(1.0, a=0.0, b=0.0, c=0.0)),
    dict(id="v2_comparison_assigned", argv=["--json", "t = x > 1; t*x", "x=2"], exit=0,
         out=J(2.0, x=1.0)),
    dict(id="v2_comparison_operand_counts_for_errors", argv=["--json", "(log(x) > 0)*0 + 1",
                                                             "x=-1"], exit=2),
    dict(id="v2_lone_bang", argv=["--json", "!x", "x=1"], exit=2),
    dict(id="v2_assignment_is_not_comparison", argv=["--json", "x = 1 == 1"], exit=0, out=J(1.0)),
    # where(c, a, b): a where c != 0; gradient only into the branch taken, none into c
    dict(id="v2_where_abs", argv=["--json", "where(x > 0, x, -x)", "x=-3"], exit=0,
         out=J(3.0, x=-1.0)),
    dict(id="v2_where_untaken_sqrt_at_0", argv=["--json", "where(x > 0, sqrt(x), 0)", "x=0"],
         exit=0, out=J(0.0, x=0.0)),
    dict(id="v2_where_untaken_log_negative", argv=["--json", "where(x > 0, log(x), 0)", "x=-1"],
         exit=0, out=J(0.0, x=0.0)),
    dict(id="v2_where_condition_counts", argv=["--json", "where(log(x) > 0, 1, 2)", "x=-1"],
         exit=2),
    dict(id="v2_where_taken_nonfinite_is_error", argv=["--json", "where(x < 0, log(x), 0)",
                                                       "x=-1"], exit=2),
    dict(id="v2_where_untaken_but_read_elsewhere", argv=["--json",
         "t = log(x); where(x > 0, t, 0) + t*0", "x=-1"], exit=2),
    dict(id="v2_where_condition_no_gradient", argv=["--json", "where(x, y, 0)", "x=2", "y=3"],
         exit=0, out=J(3.0, x=0.0, y=1.0)),
    dict(id="v2_where_zero_condition_takes_b", argv=["--json", "where(x, 1, y*2)", "x=0", "y=3"],
         exit=0, out=J(6.0, x=0.0, y=2.0)),
    dict(id="v2_where_both_branches_share", argv=["--json", "where(x > 1, x*x, 3*x)", "x=2"],
         exit=0, out=J(4.0, x=4.0)),
    dict(id="v2_where_nested", argv=["--json", "where(x < 0, 0, where(x < 1, x, 1))", "x=0.5"],
         exit=0, out=J(0.5, x=1.0)),
    # pi: the double nearest pi, a constant
    dict(id="v2_pi", argv=["--json", "pi"], exit=0, out=J(3.141592653589793), exact=True),
    dict(id="v2_pi_circle", argv=["--json", "pi*r^2", "r=2"], exit=0,
         out=J(4 * math.pi, r=4 * math.pi)),
    dict(id="v2_sin_pi_over_2", argv=["--json", "sin(pi/2)*x", "x=3"], exit=0, out=J(3.0, x=1.0)),
    dict(id="v2_minus_pi", argv=["--json", "--", "-pi"], exit=0, out=J(-math.pi), exact=True),
    dict(id="v2_pi_assigned", argv=["--json", "pi = 3"], exit=2, pos=(1, 1, "pi = 3")),
    dict(id="v2_pi_input", argv=["--json", "x", "pi=3", "x=1"], exit=2),
    dict(id="v2_pi_called", argv=["--json", "pi(2)"], exit=2),
    dict(id="v2_where_input", argv=["--json", "x", "where=3", "x=1"], exit=2),
    dict(id="v2_where_assigned", argv=["--json", "where = 3"], exit=2),
    dict(id="v2_where_without_parens", argv=["--json", "where + 1"], exit=2),
] + [
    dict(id="v2_function_name_as_input_" + f, argv=["--json", "1", f + "=1"], exit=2)
    for f in ["asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "log1p", "expm1",
              "log2", "log10", "erf", "erfc", "softplus", "atan2", "hypot", "min", "max"]
] + [
    dict(id="v2_function_name_assigned_" + f, argv=["--json", f + " = 1"], exit=2,
         pos=(1, 1, f + " = 1"))
    for f in ["softplus", "atan2", "min", "max"]
] + [
    # definitions: inlined at each call; a body sees only its parameters
    dict(id="v2_def_square", argv=["--json", "sq(a) = a*a; sq(x)", "x=3"], exit=0,
         out=J(9.0, x=6.0)),
    dict(id="v2_def_two_params", argv=["--json", "f(a, b) = a*b + a; f(x, y) + f(y, x)", "x=2",
                                       "y=3"], exit=0, out=J(17.0, x=7.0, y=5.0)),
    dict(id="v2_def_calls_earlier_def", argv=["--json", "f(a) = a + 1\ng(a) = f(a)*f(a)\ng(x)",
                                              "x=2"], exit=0, out=J(9.0, x=6.0)),
    dict(id="v2_def_param_named_like_input", argv=["--json", "f(x) = 2*x; f(y)", "x=1", "y=3"],
         exit=0, out=J(6.0, x=0.0, y=2.0)),
    dict(id="v2_def_param_named_like_assigned", argv=["--json", "t = 5; f(t) = t + 1; f(x)*t",
                                                      "x=1"], exit=0, out=J(10.0, x=5.0)),
    dict(id="v2_def_not_the_output", argv=["--json", "y = x*3; f(a) = a", "x=2"], exit=0,
         out=J(6.0, x=3.0)),
    dict(id="v2_def_only_is_empty", argv=["--json", "f(a) = a"], exit=2),
    dict(id="v2_def_with_pi_and_numbers", argv=["--json", "area(r) = pi*r^2; area(x)", "x=1"],
         exit=0, out=J(math.pi, x=2 * math.pi)),
    dict(id="v2_def_newline_inside_parens", argv=["--json", "f(a,\n  b) = (a -\n b)\nf(x, y)",
                                                  "x=5", "y=2"], exit=0, out=J(3.0, x=1.0, y=-1.0)),
    dict(id="v2_def_reads_outer_name", argv=["--json", "f(a) = a*y; f(x)", "x=1", "y=2"], exit=2,
         pos=(1, 10, "f(a) = a*y; f(x)")),
    dict(id="v2_def_reads_assigned_name", argv=["--json", "t = 2\nf(a) = a*t\nf(x)", "x=1"],
         exit=2, pos=(2, 10, "f(a) = a*t")),
    dict(id="v2_def_recursion", argv=["--json", "f(a) = f(a) + 1; f(x)", "x=1"], exit=2,
         pos=(1, 8, "f(a) = f(a) + 1; f(x)")),
    dict(id="v2_def_mutual_recursion", argv=["--json", "f(a) = g(a)\ng(a) = f(a)\nf(x)", "x=1"],
         exit=2, pos=(1, 8, "f(a) = g(a)")),
    dict(id="v2_def_call_before_definition", argv=["--json", "y = f(x)\nf(a) = a\ny", "x=1"],
         exit=2, pos=(1, 5, "y = f(x)")),
    dict(id="v2_def_redefinition", argv=["--json", "f(a) = a\nf(a) = 2*a\nf(x)", "x=1"], exit=2,
         pos=(2, 1, "f(a) = 2*a")),
    dict(id="v2_def_named_like_input", argv=["--json", "x(a) = a; x", "x=1"], exit=2,
         pos=(1, 1, "x(a) = a; x")),
    dict(id="v2_def_named_like_assigned", argv=["--json", "t = 1\nt(a) = a\nt"], exit=2,
         pos=(2, 1, "t(a) = a")),
    dict(id="v2_def_named_like_builtin", argv=["--json", "sin(a) = a; sin(1)"], exit=2,
         pos=(1, 1, "sin(a) = a; sin(1)")),
    dict(id="v2_def_named_pi", argv=["--json", "pi(a) = a; 1"], exit=2),
    dict(id="v2_def_named_where", argv=["--json", "where(a) = a; 1"], exit=2),
    dict(id="v2_def_wrong_arity_more", argv=["--json", "f(a) = a; f(x, x)", "x=1"], exit=2),
    dict(id="v2_def_wrong_arity_less", argv=["--json", "f(a, b) = a; f(x)", "x=1"], exit=2),
    dict(id="v2_def_duplicate_parameter", argv=["--json", "f(a, a) = a; f(1, 2)"], exit=2,
         pos=(1, 6, "f(a, a) = a; f(1, 2)")),
    dict(id="v2_def_reserved_parameter", argv=["--json", "f(pi) = 1; f(2)"], exit=2),
    dict(id="v2_def_no_parameters", argv=["--json", "f() = 1; f()"], exit=2),
    dict(id="v2_def_assigned_after", argv=["--json", "f(a) = a; f = 2; f(1)"], exit=2,
         pos=(1, 11, "f(a) = a; f = 2; f(1)")),
    dict(id="v2_def_read_as_value", argv=["--json", "f(a) = a; f + 1"], exit=2),
    dict(id="v2_def_name_as_input", argv=["--json", "f(a) = a; f(2)", "f=1"], exit=2),
    dict(id="v2_def_chain_1000_levels", argv=["--json", "-f", "{F}", "x=1"], file=CHAIN_1000,
         exit=0, out=J(1001.0, x=1.0)),
    dict(id="v2_def_nested_calls_100000_clear_error", argv=["--json", "-f", "{F}", "x=1"],
         file="f(a) = a\n" + "f(" * 100000 + "x" + ")" * 100000, exit=2),
    dict(id="v2_def_doubling_fails_fast", argv=["--json", "-f", "{F}", "x=1"], file=DOUBLING,
         exit=2, err_has="nodes"),
    dict(id="v2_max_nodes_option", argv=["--json", "--max-nodes", "3", "x*x*x*x", "x=1"], exit=2),
    dict(id="v2_max_nodes_enough", argv=["--json", "--max-nodes=100", "x*x*x*x", "x=1"], exit=0,
         out=J(1.0, x=4.0)),
    dict(id="v2_max_nodes_bad_value", argv=["--json", "--max-nodes", "lots", "x", "x=1"], exit=2),
    # --expect over the program's names and functions (the seed's sigmoid neuron)
    dict(id="v2_expect_seed_terms", argv=[NEURON, "w=0.5", "x=2", "b=0.1", "y=1", "--expect",
                                          "w=-(y - yhat)*yhat*(1 - yhat)*x"], exit=0),
    dict(id="v2_expect_seed_terms_wrong", argv=[NEURON, "w=0.5", "x=2", "b=0.1", "y=1", "--expect",
                                                "w=(y - yhat)*yhat*(1 - yhat)*x"], exit=1),
    dict(id="v2_expect_final_binding", argv=["c = x; c = c*c; c", "x=3", "--expect", "x=2*c/x"],
         exit=0),
    dict(id="v2_expect_defined_function", argv=["sq(a) = a*a; sq(x)", "x=3", "--expect",
                                                "x=2*sq(x)/x"], exit=0),
    dict(id="v2_expect_unknown_name", argv=["x^2", "x=3", "--expect", "x=2*q"], exit=2),
    dict(id="v2_expect_json", argv=["--json", NEURON, "w=0.5", "x=2", "b=0.1", "y=1", "--expect",
                                    "b=-(y - yhat)*yhat*(1 - yhat)"], exit=0,
         out=J(((1 - 1 / (1 + math.exp(-1.1))) ** 2) / 2,
               w=-(1 - 1 / (1 + math.exp(-1.1))) * (1 / (1 + math.exp(-1.1))) ** 1 *
               (1 - 1 / (1 + math.exp(-1.1))) * 2,
               x=-(1 - 1 / (1 + math.exp(-1.1))) * (1 / (1 + math.exp(-1.1))) *
               (1 - 1 / (1 + math.exp(-1.1))) * 0.5,
               b=-(1 - 1 / (1 + math.exp(-1.1))) * (1 / (1 + math.exp(-1.1))) *
               (1 - 1 / (1 + math.exp(-1.1))),
               y=(1 - 1 / (1 + math.exp(-1.1)))), extra_ok=True),
    # characters: names are ASCII, comments may hold any UTF-8
    dict(id="v2_non_ascii_character", argv=["--json", "x * \u00e9", "x=1"], exit=2,
         pos=(1, 5, "x * \u00e9"), err_has="\u00e9"),
    dict(id="v2_non_ascii_in_name", argv=["--json", "caf\u00e9 = 1; 2"], exit=2, err_has="ASCII"),
    dict(id="v2_utf8_in_comment", argv=["--json", "x*2 # caf\u00e9 \u2202L/\u2202x", "x=1"], exit=0,
         out=J(2.0, x=2.0)),
    dict(id="v2_unicode_minus_is_error", argv=["--json", "x \u2212 1", "x=1"], exit=2,
         err_has="\u2212"),
    # messages a user needs
    dict(id="v2_did_you_mean", argv=["--json", "sigmod(x)", "x=1"], exit=2, err_has="sigmoid",
         pos=(1, 1, "sigmod(x)")),
    dict(id="v2_unclosed_paren_in_file_shows_its_line", argv=["--json", "-f", "{F}", "x=1"],
         file="a = x\nb = (a +\n  1\n\n", exit=2, pos=(2, 5, "b = (a +")),
]


def check_caret(stderr, line, col, src):
    """The source line is shown with a '^' under column col; 'line:col' appears."""
    if "%d:%d" % (line, col) not in stderr:
        return "stderr lacks %d:%d" % (line, col)
    lines = stderr.split("\n")
    found = None
    for i in range(1, len(lines) - 1):  # line 0 is the message itself
        k = lines[i].find(src)
        if k >= 0 and src and "^" in lines[i + 1]:
            caret = lines[i + 1]
            if caret.find("^") == k + col - 1:
                return None
            found = "caret at %d, want %d under %r" % (caret.find("^"), k + col - 1, lines[i])
    return found or "source line %r not shown with a caret below" % src


def same_num(got, want, exact):
    if exact:
        return got == want and math.copysign(1, got) == math.copysign(1, want)
    return got == want or abs(got - want) <= 1e-12 * max(abs(got), abs(want))


def run_case(exe, c, tmp):
    F = os.path.join(tmp, "prog.tg")
    if "file" in c:
        with open(F, "w") as f:
            f.write(c["file"])
    argv = [a.replace("{F}", F).replace("{D}", tmp) for a in c["argv"]]
    code, out, err, dt = fuzz.run_tapegrad(exe, argv, stdin=c.get("stdin", b""), timeout=30)
    errs = []
    if code is None:
        return ["hang (timeout 30 s)"], argv
    if code < 0 or code > 2:
        return ["crash/exit %d: %s" % (code, err.decode(errors="replace")[-200:])], argv
    allowed = c.get("any_exit", {c.get("exit")})
    serr = err.decode(errors="replace")
    if c.get("feature") and code == 2 and "not available in this build" in serr:
        return None, argv
    if code not in allowed:
        errs.append("exit %d, want %s" % (code, "/".join(map(str, sorted(allowed)))))
    if code == 2 and not serr.startswith("tapegrad: error: "):
        errs.append("first stderr line %r" % serr.split("\n")[0][:120])
    out_spec = c.get("out") or (c.get("out_if_0") if code == 0 else None)
    if code == 0 and out_spec:
        _, value, grads = out_spec
        try:
            v, gs = fuzz.json_result(out, [n for n, _ in grads], c.get("extra_ok", False))
            if not same_num(v, value, c.get("exact")):
                errs.append("value %r, want %r" % (v, value))
            for (n, w), g in zip(grads, gs):
                if not same_num(g, w, c.get("exact")):
                    errs.append("d/d%s %r, want %r" % (n, g, w))
        except (ValueError, UnicodeDecodeError) as e:
            errs.append("JSON: %s; stdout %r" % (e, out[:200]))
    if code == 2 and "pos" in c:
        line, col, src = c["pos"]
        msg = check_caret(serr, line, col, src)
        if msg:
            errs.append(msg + "; stderr %r" % serr[:300])
    if code == c.get("exit") and "err_has" in c and c["err_has"].lower() not in serr.lower():
        errs.append("stderr does not name %r: %r" % (c["err_has"], serr[:200]))
    if code == 0 and "stdout_has" in c and c["stdout_has"] not in out.decode(errors="replace"):
        errs.append("stdout lacks %r" % c["stdout_has"])
    if code == 0 and "stdout_re" in c and not re.search(c["stdout_re"],
                                                         out.decode(errors="replace")):
        errs.append("stdout does not match %r" % c["stdout_re"])
    if code == 0 and "file_has" in c:
        p = os.path.join(tmp, c["file_has"][0])
        if not os.path.exists(p) or c["file_has"][1] not in open(p).read():
            errs.append("%s missing or lacks %r" % c["file_has"])
    if code == 0 and "lines" in c:
        n = len([ln for ln in out.decode(errors="replace").split("\n") if ln.strip()])
        if n != c["lines"]:
            errs.append("%d stdout lines, want %d: %r" % (n, c["lines"], out[:200]))
    return errs, argv


def shown(exe, argv, c):
    q = []
    for a in argv:
        if len(a) > 60:
            a = a[:20] + "...(%d chars)" % len(a)
        q.append(fuzz.shlex.quote(a))
    s = " ".join(["tapegrad"] + q)
    if "stdin" in c:
        s = "printf %r | " % c["stdin"].decode() + s
    if "file" in c:
        f = c["file"]
        s += "    # with {F} = %r" % (f if len(f) < 60 else f[:20] + "...(%d chars)" % len(f))
    return s


def main():
    args = sys.argv[1:]
    verbose = "-v" in args
    if "-v" in args:
        args.remove("-v")
    only = None
    if "-k" in args:
        i = args.index("-k")
        only = args[i + 1]
        del args[i:i + 2]
    if len(args) != 1:
        print(__doc__)
        return 2
    exe = args[0]
    ids = [c["id"] for c in CASES + V2]
    assert len(ids) == len(set(ids)), "duplicate case id"
    passed = failed = xfail = skipped = 0
    with tempfile.TemporaryDirectory() as tmp:
        for c in CASES + V2:
            if only and only not in c["id"]:
                continue
            errs, argv = run_case(exe, c, tmp)
            if errs is None:
                skipped += 1
                print("SKIP  %s: not available in this build" % c["id"])
                continue
            if not errs:
                passed += 1
                if c["id"] in KNOWN:
                    print("XPASS %s (remove it from KNOWN)" % c["id"])
                elif verbose:
                    print("ok    %s" % c["id"])
            elif c["id"] in KNOWN:
                xfail += 1
                print("XFAIL %s: %s" % (c["id"], "; ".join(errs)))
            else:
                failed += 1
                print("FAIL  %s: %s\n      %s" % (c["id"], "; ".join(errs), shown(exe, argv, c)))
    if xfail:
        print("%d known deviation(s) listed in KNOWN.md still deviate" % xfail)
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped + xfail))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
