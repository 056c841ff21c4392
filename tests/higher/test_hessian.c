/* test_hessian.c: Hessians of classic functions (Rosenbrock in 2 and n dimensions,
 * log-sum-exp, a small MLP's loss) against hand-derived matrices, in both modes, and
 * symmetric; Hessian-vector products equal H v; forward and reverse Jacobians agree with each
 * other and with finite differences; JVPs; the tape is left as it was. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "tg_test.h"
#include "tapegrad.h"

enum { MAXN = 16 };

/* Compares an n x n matrix with the expected one and checks symmetry. */
static void check_matrix(const char *what, size_t n, const double *got, const double *want,
                         double tol)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            if (!close_to(got[i * n + j], want[i * n + j], tol))
                fail_msg("%s: H[%zu][%zu] = %.17g, expected %.17g", what, i, j, got[i * n + j],
                         want[i * n + j]);
            if (!close_to(got[i * n + j], got[j * n + i], tol))
                fail_msg("%s: H[%zu][%zu] = %.17g but H[%zu][%zu] = %.17g", what, i, j,
                         got[i * n + j], j, i, got[j * n + i]);
        }
}

/* Both modes of tg_hessian, and H v by both modes of tg_hvp for a random v; the tape's size
 * is unchanged and forward mode leaves the gradients alone. */
static void check_hessian(const char *what, tg_tape *t, tg_var f, size_t n, const tg_var *x,
                          const double *want)
{
    double h[MAXN * MAXN], v[MAXN], hv[MAXN];
    const size_t size = tg_tape_size(t);
    assert_int_equal(tg_set_grad(t, x[0], 42.0), TG_OK);
    assert_int_equal(tg_hessian(t, f, n, x, TG_MODE_AUTO, h), TG_OK);
    assert_true(tg_grad(t, x[0]) == 42.0);
    check_matrix(what, n, h, want, 1e-12);
    assert_int_equal(tg_hessian(t, f, n, x, TG_MODE_REVERSE, h), TG_OK);
    check_matrix(what, n, h, want, 1e-12);
    for (size_t j = 0; j < n; j++)
        v[j] = uniform(-1, 1);
    for (int mode = TG_MODE_FORWARD; mode <= TG_MODE_REVERSE; mode++) {
        assert_int_equal(tg_hvp(t, f, n, x, v, (tg_mode)mode, hv), TG_OK);
        for (size_t i = 0; i < n; i++) {
            double s = 0, scale = 0;
            for (size_t j = 0; j < n; j++) {
                s += want[i * n + j] * v[j];
                scale += fabs(want[i * n + j] * v[j]);
            }
            if (!(fabs(hv[i] - s) <= 1e-12 * fmax(1.0, scale)))
                fail_msg("%s: (Hv)[%zu] = %.17g by mode %d, H v = %.17g", what, i, hv[i], mode, s);
        }
    }
    assert_int_equal(tg_tape_size(t), size);
}

/* f(x, y) = (1 - x)^2 + 100 (y - x^2)^2
 * H = [[2 - 400 (y - x^2) + 800 x^2, -400 x], [-400 x, 200]] */
static void rosenbrock_2d_hessian_matches_hand_derived(void **state)
{
    (void)state;
    for (int point = 0; point < 50; point++) {
        const double x0 = point == 0 ? 1 : uniform(-2, 2), y0 = point == 0 ? 1 : uniform(-1, 3);
        tg_tape *t = tg_tape_new();
        const tg_var x[2] = {tg_input(t, x0), tg_input(t, y0)};
        const tg_var d = tg_sub(t, x[1], tg_mul(t, x[0], x[0]));
        const tg_var f =
            tg_add(t, tg_powc(t, tg_rsubc(t, 1, x[0]), 2), tg_mulc(t, tg_mul(t, d, d), 100));
        const double want[4] = {2 - 400 * (y0 - x0 * x0) + 800 * x0 * x0, -400 * x0, -400 * x0,
                                200};
        check_hessian("rosenbrock 2-D", t, f, 2, x, want);
        tg_tape_free(t);
    }
}

/* f(x) = sum_{i<n-1} 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2: a tridiagonal Hessian,
 * H_ii = [i < n-1] (1200 x_i^2 - 400 x_{i+1} + 2) + [i > 0] 200,  H_{i,i+1} = -400 x_i */
static void rosenbrock_nd_hessian_matches_hand_derived(void **state)
{
    (void)state;
    enum { N = 12 };
    for (int point = 0; point < 20; point++) {
        double x0[N], want[N * N] = {0};
        tg_tape *t = tg_tape_new();
        tg_var x[N], terms[2 * (N - 1)];
        for (int i = 0; i < N; i++)
            x[i] = tg_input(t, x0[i] = uniform(-2, 2));
        for (int i = 0; i < N - 1; i++) {
            const tg_var d = tg_sub(t, x[i + 1], tg_mul(t, x[i], x[i]));
            terms[2 * i] = tg_mulc(t, tg_mul(t, d, d), 100);
            terms[2 * i + 1] = tg_powc(t, tg_rsubc(t, 1, x[i]), 2);
        }
        const tg_var f = tg_sum(t, 2 * (N - 1), terms);
        for (int i = 0; i < N; i++) {
            if (i < N - 1) {
                want[i * N + i] += 1200 * x0[i] * x0[i] - 400 * x0[i + 1] + 2;
                want[i * N + i + 1] = want[(i + 1) * N + i] = -400 * x0[i];
            }
            if (i > 0)
                want[i * N + i] += 200;
        }
        check_hessian("rosenbrock n-D", t, f, N, x, want);
        tg_tape_free(t);
    }
}

/* f(x) = log sum_i e^{x_i}: with p = softmax(x), H = diag(p) - p p^T */
static void log_sum_exp_hessian_matches_hand_derived(void **state)
{
    (void)state;
    enum { N = 6 };
    for (int point = 0; point < 30; point++) {
        double x0[N], p[N], z = 0, want[N * N];
        tg_tape *t = tg_tape_new();
        tg_var x[N], e[N];
        for (int i = 0; i < N; i++) {
            x[i] = tg_input(t, x0[i] = uniform(-4, 4));
            e[i] = tg_exp(t, x[i]);
            z += exp(x0[i]);
        }
        const tg_var f = tg_log(t, tg_sum(t, N, e));
        for (int i = 0; i < N; i++)
            p[i] = exp(x0[i]) / z;
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++)
                want[i * N + j] = (i == j ? p[i] : 0) - p[i] * p[j];
        check_hessian("log-sum-exp", t, f, N, x, want);
        tg_tape_free(t);
    }
}

/* A 2-3-1 MLP, tanh hidden layer, linear output, squared error on one sample (x, target):
 *   z_j = sum_i W_ji x_i + b_j,  h_j = tanh z_j,  o = sum_j v_j h_j + c,  L = (o - target)^2 / 2
 * Parameters in the order W_00 W_01 W_10 W_11 W_20 W_21, b_0..b_2, v_0..v_2, c (13).
 * H = J^T J + r D, r = o - target, J = do/dparam:  dW_ji: v_j h'_j x_i,  db_j: v_j h'_j,
 * dv_j: h_j,  dc: 1;  D = d2o/dparam^2, nonzero only within a hidden unit j:
 *   (v_j, W_ji) h'_j x_i,  (v_j, b_j) h'_j,  (W_ji, W_jk) v_j h''_j x_i x_k,
 *   (W_ji, b_j) v_j h''_j x_i,  (b_j, b_j) v_j h''_j;  h' = 1 - h^2,  h'' = -2 h h'. */
static void mlp_loss_hessian_matches_hand_derived(void **state)
{
    (void)state;
    enum { NI = 2, NH = 3, NP = NH * NI + 2 * NH + 1 };
    for (int point = 0; point < 20; point++) {
        double p0[NP], xin[NI], target = uniform(-1, 1);
        for (int k = 0; k < NP; k++)
            p0[k] = uniform(-1.5, 1.5);
        for (int i = 0; i < NI; i++)
            xin[i] = uniform(-2, 2);
        tg_tape *t = tg_tape_new();
        tg_var p[NP], xc[NI], h[NH];
        for (int k = 0; k < NP; k++)
            p[k] = tg_input(t, p0[k]);
        for (int i = 0; i < NI; i++)
            xc[i] = tg_const(t, xin[i]);
        const int B = NH * NI, V = B + NH, C = V + NH; /* where b, v and c start */
        for (int j = 0; j < NH; j++)
            h[j] = tg_tanh(t, tg_add(t, tg_dot(t, NI, p + j * NI, xc), p[B + j]));
        const tg_var o = tg_add(t, tg_dot(t, NH, p + V, h), p[C]);
        const tg_var r = tg_addc(t, o, -target);
        const tg_var loss = tg_mulc(t, tg_mul(t, r, r), 0.5);

        double hv[NH], d1[NH], d2[NH], J[NP] = {0}, D[NP * NP] = {0}, want[NP * NP];
        double o0 = p0[C];
        for (int j = 0; j < NH; j++) {
            double z = p0[B + j];
            for (int i = 0; i < NI; i++)
                z += p0[j * NI + i] * xin[i];
            hv[j] = tanh(z);
            d1[j] = 1 - hv[j] * hv[j];
            d2[j] = -2 * hv[j] * d1[j];
            o0 += p0[V + j] * hv[j];
        }
        const double r0 = o0 - target;
        for (int j = 0; j < NH; j++) {
            const double vj = p0[V + j];
            for (int i = 0; i < NI; i++) {
                const int w = j * NI + i;
                J[w] = vj * d1[j] * xin[i];
                D[(V + j) * NP + w] = D[w * NP + V + j] = d1[j] * xin[i];
                D[w * NP + B + j] = D[(B + j) * NP + w] = vj * d2[j] * xin[i];
                for (int k = 0; k < NI; k++)
                    D[w * NP + j * NI + k] = vj * d2[j] * xin[i] * xin[k];
            }
            J[B + j] = vj * d1[j];
            J[V + j] = hv[j];
            D[(V + j) * NP + B + j] = D[(B + j) * NP + V + j] = d1[j];
            D[(B + j) * NP + B + j] = vj * d2[j];
        }
        J[C] = 1;
        for (int a = 0; a < NP; a++)
            for (int b = 0; b < NP; b++)
                want[a * NP + b] = J[a] * J[b] + r0 * D[a * NP + b];
        check_hessian("mlp loss", t, loss, NP, p, want);
        tg_tape_free(t);
    }
}

/* F: R^n -> R^m, each output mixing several ops. */
static void vector_function(tg_tape *t, size_t n, const tg_var *x, size_t m, tg_var *out)
{
    for (size_t i = 0; i < m; i++) {
        const tg_var a = x[i % n], b = x[(i + 1) % n], c = x[(i + 2) % n];
        const tg_var u = tg_tanh(t, tg_mul(t, a, b));
        const tg_var v = tg_mul(t, tg_exp(t, tg_mulc(t, c, 0.3)), tg_sin(t, a));
        const tg_var w =
            tg_div(t, tg_sqrt(t, tg_addc(t, tg_mul(t, b, b), 1)), tg_addc(t, tg_cos(t, c), 2));
        const tg_var s = tg_dot(t, n, x, x);
        out[i] = TG_SUM(t, u, v, w, tg_mulc(t, s, 0.01 * (double)(i + 1)),
                        tg_powc(t, tg_sigmoid(t, b), 1.5));
    }
}

static double vector_function_at(size_t n, const double *x0, size_t m, size_t i)
{
    tg_tape *t = tg_tape_new();
    tg_var x[MAXN], out[MAXN];
    for (size_t k = 0; k < n; k++)
        x[k] = tg_input(t, x0[k]);
    vector_function(t, n, x, m, out);
    const double y = tg_value(t, out[i]);
    tg_tape_free(t);
    return y;
}

static void forward_and_reverse_jacobians_agree(void **state)
{
    (void)state;
    static const size_t shapes[][2] = {{4, 2}, {3, 7}, {5, 5}, {1, 6}, {6, 1}}; /* n, m */
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const size_t n = shapes[s][0], m = shapes[s][1];
        for (int point = 0; point < 10; point++) {
            double x0[MAXN], jf[MAXN * MAXN], jr[MAXN * MAXN], ja[MAXN * MAXN];
            tg_tape *t = tg_tape_new();
            tg_var x[MAXN], out[MAXN];
            for (size_t k = 0; k < n; k++)
                x[k] = tg_input(t, x0[k] = uniform(-2, 2));
            vector_function(t, n, x, m, out);
            assert_int_equal(tg_jacobian(t, m, out, n, x, TG_MODE_FORWARD, jf), TG_OK);
            assert_int_equal(tg_jacobian(t, m, out, n, x, TG_MODE_REVERSE, jr), TG_OK);
            assert_int_equal(tg_jacobian(t, m, out, n, x, TG_MODE_AUTO, ja), TG_OK);
            for (size_t i = 0; i < m; i++)
                for (size_t j = 0; j < n; j++) {
                    const double h = 1e-6;
                    double xp[MAXN], xm[MAXN];
                    memcpy(xp, x0, sizeof xp);
                    memcpy(xm, x0, sizeof xm);
                    xp[j] += h;
                    xm[j] -= h;
                    const double fd =
                        (vector_function_at(n, xp, m, i) - vector_function_at(n, xm, m, i)) /
                        (2 * h);
                    const double f = jf[i * n + j], r = jr[i * n + j];
                    if (!close_to(f, r, 1e-12) || !close_to(r, fd, 1e-6) ||
                        !(ja[i * n + j] == (n <= m ? f : r)))
                        fail_msg("%zux%zu J[%zu][%zu]: forward %.17g, reverse %.17g, auto "
                                 "%.17g, finite difference %.17g",
                                 m, n, i, j, f, r, ja[i * n + j], fd);
                }
            tg_tape_free(t);
        }
    }
}

/* tg_jvp: J dir for several outputs at once, and a direction on a non-leaf node is what
 * tg_backward's gradient for that node says. */
static void jvp_equals_jacobian_times_direction(void **state)
{
    (void)state;
    enum { N = 4, M = 3 };
    for (int point = 0; point < 20; point++) {
        double x0[N], dir[N], jac[M * N], jvp[M];
        tg_tape *t = tg_tape_new();
        tg_var x[N], out[M];
        for (size_t k = 0; k < N; k++) {
            x[k] = tg_input(t, x0[k] = uniform(-2, 2));
            dir[k] = uniform(-1, 1);
        }
        vector_function(t, N, x, M, out);
        assert_int_equal(tg_jacobian(t, M, out, N, x, TG_MODE_REVERSE, jac), TG_OK);
        assert_int_equal(tg_jvp(t, M, out, N, x, dir, jvp), TG_OK);
        for (size_t i = 0; i < M; i++) {
            double s = 0;
            for (size_t j = 0; j < N; j++)
                s += jac[i * N + j] * dir[j];
            if (!close_to(jvp[i], s, 1e-12))
                fail_msg("jvp[%zu] = %.17g, J dir = %.17g", i, jvp[i], s);
        }
        /* y = sin(u), u = x0 * x1: a unit direction on u gives cos(u), as backward does */
        const tg_var u = tg_mul(t, x[0], x[1]), y = tg_sin(t, u);
        const double one = 1.0;
        double dy;
        assert_int_equal(tg_jvp(t, 1, &y, 1, &u, &one, &dy), TG_OK);
        assert_int_equal(tg_backward(t, y), TG_OK);
        assert_true(dy == tg_grad(t, u) && dy == cos(x0[0] * x0[1]));
        tg_tape_free(t);
    }
}

/* Forward mode skips inactive inputs: sqrt of a constant 0 (derivative inf) beside x does not
 * make d/dx NaN, and a constant exponent's ln(a) for a < 0 does not either. */
static void jvp_ignores_infinite_local_derivatives_off_the_path(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    const tg_var x = tg_input(t, -2.0);
    const tg_var y = tg_add(t, tg_mul(t, x, tg_sqrt(t, tg_const(t, 0.0))), tg_powc(t, x, 3));
    const double one = 1.0;
    double dy, jac[1];
    assert_int_equal(tg_jvp(t, 1, &y, 1, &x, &one, &dy), TG_OK);
    assert_true(dy == 12.0); /* d(x*0 + x^3)/dx = 3 x^2 */
    assert_int_equal(tg_jacobian(t, 1, &y, 1, &x, TG_MODE_FORWARD, jac), TG_OK);
    assert_true(jac[0] == 12.0);
    tg_tape_free(t);
}

/* Columns for a node recorded after every output are 0 in both modes; repeated and non-leaf
 * columns agree too (d/du of y = u^2 + x, u = 3x: 2u; d/dx: 2u * 3 + 1). */
static void jacobian_edge_columns_agree(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    const tg_var x = tg_input(t, 0.5);
    const tg_var u = tg_mulc(t, x, 3.0);
    const tg_var y = tg_add(t, tg_mul(t, u, u), x);
    const tg_var later = tg_input(t, 7.0);
    const tg_var wrt[4] = {x, u, later, x};
    const double want[4] = {2 * 1.5 * 3 + 1, 2 * 1.5, 0, 2 * 1.5 * 3 + 1};
    for (int mode = TG_MODE_AUTO; mode <= TG_MODE_REVERSE; mode++) {
        double jac[4];
        assert_int_equal(tg_jacobian(t, 1, &y, 4, wrt, (tg_mode)mode, jac), TG_OK);
        for (int j = 0; j < 4; j++)
            if (!(jac[j] == want[j]))
                fail_msg("mode %d: J[0][%d] = %.17g, expected %g", mode, j, jac[j], want[j]);
    }
    double h[16];
    assert_int_equal(tg_hessian(t, y, 4, wrt, TG_MODE_AUTO, h), TG_OK);
    assert_true(h[0] == 18.0 && h[1] == 6.0 && h[5] == 2.0 && h[15] == 18.0); /* d2y/dx2 = 18 */
    assert_true(h[2] == 0.0 && h[10] == 0.0);
    tg_tape_free(t);
}

static void forward_mode_errors_are_reported(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    const tg_var x = tg_input(t, 1), y = tg_exp(t, x), bad = {77};
    const double one = 1;
    double r[4];
    assert_int_equal(tg_jvp(NULL, 1, &y, 1, &x, &one, r), TG_ERR_ARG);
    assert_int_equal(tg_jvp(t, 1, &bad, 1, &x, &one, r), TG_ERR_BADVAR);
    assert_int_equal(tg_jvp(t, 1, &y, 1, &bad, &one, r), TG_ERR_BADVAR);
    assert_int_equal(tg_jvp(t, 1, &y, 1, &x, NULL, r), TG_ERR_ARG);
    assert_int_equal(tg_jacobian(t, 1, &y, 1, &x, (tg_mode)7, r), TG_ERR_ARG);
    assert_int_equal(tg_jacobian(t, 1, &y, 1, &x, TG_MODE_AUTO, NULL), TG_ERR_ARG);
    assert_int_equal(tg_hvp(t, y, 1, &x, NULL, TG_MODE_AUTO, r), TG_ERR_ARG);
    assert_int_equal(tg_hessian(t, bad, 1, &x, TG_MODE_AUTO, r), TG_ERR_BADVAR);
    assert_int_equal(tg_hessian(t, y, 1, &x, TG_MODE_AUTO, NULL), TG_ERR_ARG);
    assert_int_equal(tg_tape_size(t), 2);
    assert_int_equal(tg_hessian(t, y, 1, &x, TG_MODE_AUTO, r), TG_OK);
    assert_true(r[0] == exp(1.0));
    tg_tape_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rosenbrock_2d_hessian_matches_hand_derived),
        cmocka_unit_test(rosenbrock_nd_hessian_matches_hand_derived),
        cmocka_unit_test(log_sum_exp_hessian_matches_hand_derived),
        cmocka_unit_test(mlp_loss_hessian_matches_hand_derived),
        cmocka_unit_test(forward_and_reverse_jacobians_agree),
        cmocka_unit_test(jvp_equals_jacobian_times_direction),
        cmocka_unit_test(jvp_ignores_infinite_local_derivatives_off_the_path),
        cmocka_unit_test(jacobian_edge_columns_agree),
        cmocka_unit_test(forward_mode_errors_are_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
