import Foundation

@testable import DeepCellKit

/// The plain-Swift float64 reference implementation of every engine layer, on plain NCHW
/// arrays: the test oracle (design.md, "The network room"). Written from the formulas only,
/// independent of the engine's kernels.
enum Ref {
  struct Shape {
    var n, c, h, w: Int
    var count: Int { n * c * h * w }
    func at(_ n: Int, _ c: Int, _ h: Int, _ w: Int) -> Int {
      ((n * self.c + c) * self.h + h) * self.w + w
    }
    var tensorShape: TensorShape { TensorShape(n, c, h, w) }
  }

  static func samePad(_ n: Int, _ k: Int, _ s: Int) -> Int {
    let out = (n + s - 1) / s
    return max((out - 1) * s + k - n, 0) / 2
  }

  // MARK: convolution

  static func conv(
    _ x: [Double], _ xs: Shape, _ wt: [Double], oc: Int, k: Int, stride s: Int, bias: [Double]?
  )
    -> ([Double], Shape)
  {
    let ys = Shape(n: xs.n, c: oc, h: (xs.h + s - 1) / s, w: (xs.w + s - 1) / s)
    let pt = samePad(xs.h, k, s)
    let pl = samePad(xs.w, k, s)
    var y = [Double](repeating: 0, count: ys.count)
    for n in 0..<xs.n {
      for o in 0..<oc {
        for i in 0..<ys.h {
          for j in 0..<ys.w {
            var acc = bias?[o] ?? 0
            for c in 0..<xs.c {
              for u in 0..<k {
                let r = i * s + u - pt
                if r < 0 || r >= xs.h { continue }
                for v in 0..<k {
                  let q = j * s + v - pl
                  if q < 0 || q >= xs.w { continue }
                  acc += wt[((o * xs.c + c) * k + u) * k + v] * x[xs.at(n, c, r, q)]
                }
              }
            }
            y[ys.at(n, o, i, j)] = acc
          }
        }
      }
    }
    return (y, ys)
  }

  static func convBackward(
    _ x: [Double], _ xs: Shape, _ wt: [Double], oc: Int, k: Int, stride s: Int, dy: [Double]
  )
    -> (dx: [Double], dw: [Double], db: [Double])
  {
    let ys = Shape(n: xs.n, c: oc, h: (xs.h + s - 1) / s, w: (xs.w + s - 1) / s)
    let pt = samePad(xs.h, k, s)
    let pl = samePad(xs.w, k, s)
    var dx = [Double](repeating: 0, count: xs.count)
    var dw = [Double](repeating: 0, count: wt.count)
    var db = [Double](repeating: 0, count: oc)
    for n in 0..<xs.n {
      for o in 0..<oc {
        for i in 0..<ys.h {
          for j in 0..<ys.w {
            let g = dy[ys.at(n, o, i, j)]
            db[o] += g
            for c in 0..<xs.c {
              for u in 0..<k {
                let r = i * s + u - pt
                if r < 0 || r >= xs.h { continue }
                for v in 0..<k {
                  let q = j * s + v - pl
                  if q < 0 || q >= xs.w { continue }
                  let wi = ((o * xs.c + c) * k + u) * k + v
                  dx[xs.at(n, c, r, q)] += wt[wi] * g
                  dw[wi] += x[xs.at(n, c, r, q)] * g
                }
              }
            }
          }
        }
      }
    }
    return (dx, dw, db)
  }

  // MARK: batch normalization (training mode)

  static func batchNorm(_ x: [Double], _ s: Shape, gamma: [Double], beta: [Double], eps: Double)
    -> (y: [Double], mean: [Double], variance: [Double])
  {
    var y = x
    var means = [Double](repeating: 0, count: s.c)
    var vars = means
    let m = Double(s.n * s.h * s.w)
    for c in 0..<s.c {
      var sum = 0.0
      for n in 0..<s.n { for h in 0..<s.h { for w in 0..<s.w { sum += x[s.at(n, c, h, w)] } } }
      let mu = sum / m
      var sq = 0.0
      for n in 0..<s.n {
        for h in 0..<s.h { for w in 0..<s.w { sq += pow(x[s.at(n, c, h, w)] - mu, 2) } }
      }
      let v = sq / m
      means[c] = mu
      vars[c] = v
      for n in 0..<s.n {
        for h in 0..<s.h {
          for w in 0..<s.w {
            let i = s.at(n, c, h, w)
            y[i] = gamma[c] * (x[i] - mu) / (v + eps).squareRoot() + beta[c]
          }
        }
      }
    }
    return (y, means, vars)
  }

  static func batchNormBackward(
    _ x: [Double], _ s: Shape, gamma: [Double], eps: Double, dy: [Double]
  )
    -> (dx: [Double], dgamma: [Double], dbeta: [Double])
  {
    let (_, means, vars) = batchNorm(
      x, s, gamma: gamma, beta: [Double](repeating: 0, count: s.c), eps: eps)
    var dx = x
    var dg = [Double](repeating: 0, count: s.c)
    var dbt = dg
    let m = Double(s.n * s.h * s.w)
    for c in 0..<s.c {
      let sd = (vars[c] + eps).squareRoot()
      for n in 0..<s.n {
        for h in 0..<s.h {
          for w in 0..<s.w {
            let i = s.at(n, c, h, w)
            dbt[c] += dy[i]
            dg[c] += dy[i] * (x[i] - means[c]) / sd
          }
        }
      }
      for n in 0..<s.n {
        for h in 0..<s.h {
          for w in 0..<s.w {
            let i = s.at(n, c, h, w)
            let xhat = (x[i] - means[c]) / sd
            dx[i] = gamma[c] / (m * sd) * (m * dy[i] - dbt[c] - xhat * dg[c])
          }
        }
      }
    }
    return (dx, dg, dbt)
  }

  // MARK: pointwise and spatial

  static func relu(_ x: [Double]) -> [Double] { x.map { max($0, 0) } }

  static func maxPool(_ x: [Double], _ s: Shape) -> ([Double], Shape, [Int]) {
    let os = Shape(n: s.n, c: s.c, h: (s.h + 1) / 2, w: (s.w + 1) / 2)
    var y = [Double](repeating: 0, count: os.count)
    var arg = [Int](repeating: 0, count: os.count)
    for n in 0..<s.n {
      for c in 0..<s.c {
        for i in 0..<os.h {
          for j in 0..<os.w {
            var best = -Double.infinity
            var at = -1
            for u in 0..<2 where 2 * i + u < s.h {
              for v in 0..<2 where 2 * j + v < s.w {
                let idx = s.at(n, c, 2 * i + u, 2 * j + v)
                if x[idx] > best {
                  best = x[idx]
                  at = idx
                }
              }
            }
            y[os.at(n, c, i, j)] = best
            arg[os.at(n, c, i, j)] = at
          }
        }
      }
    }
    return (y, os, arg)
  }

  static func maxPoolBackward(_ x: [Double], _ s: Shape, dy: [Double]) -> [Double] {
    let (_, _, arg) = maxPool(x, s)
    var dx = [Double](repeating: 0, count: s.count)
    for (k, a) in arg.enumerated() { dx[a] += dy[k] }
    return dx
  }

  /// TF half-pixel resize source taps for output o on an axis of n inputs, scale 1/2.
  static func halfPixel(_ o: Int, _ n: Int) -> (Int, Int, Double) {
    let src = (Double(o) + 0.5) * 0.5 - 0.5
    let lower = max(Int(floor(src)), 0)
    let upper = min(Int(ceil(src)), n - 1)
    return (lower, upper, src - floor(src))
  }

  static func upsample(_ x: [Double], _ s: Shape, bilinear: Bool) -> ([Double], Shape) {
    let os = Shape(n: s.n, c: s.c, h: 2 * s.h, w: 2 * s.w)
    var y = [Double](repeating: 0, count: os.count)
    for n in 0..<s.n {
      for c in 0..<s.c {
        for i in 0..<os.h {
          for j in 0..<os.w {
            if !bilinear {
              y[os.at(n, c, i, j)] = x[s.at(n, c, i / 2, j / 2)]
              continue
            }
            let (r0, r1, a) = halfPixel(i, s.h)
            let (c0, c1, b) = halfPixel(j, s.w)
            let top = x[s.at(n, c, r0, c0)] * (1 - b) + x[s.at(n, c, r0, c1)] * b
            let bot = x[s.at(n, c, r1, c0)] * (1 - b) + x[s.at(n, c, r1, c1)] * b
            y[os.at(n, c, i, j)] = top * (1 - a) + bot * a
          }
        }
      }
    }
    return (y, os)
  }

  static func softmax(_ x: [Double], _ s: Shape) -> [Double] {
    var y = x
    for n in 0..<s.n {
      for h in 0..<s.h {
        for w in 0..<s.w {
          let m = (0..<s.c).map { x[s.at(n, $0, h, w)] }.max()!
          let e = (0..<s.c).map { exp(x[s.at(n, $0, h, w)] - m) }
          let t = e.reduce(0, +)
          for c in 0..<s.c { y[s.at(n, c, h, w)] = e[c] / t }
        }
      }
    }
    return y
  }

  static func mse(_ y: [Double], _ t: [Double]) -> Double {
    zip(y, t).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Double(y.count)
  }

  static func weightedCCE(_ p: [Double], _ t: [Double], _ s: Shape) -> Double {
    var counts = [Double](repeating: 0, count: s.c)
    for n in 0..<s.n {
      for c in 0..<s.c {
        for h in 0..<s.h { for w in 0..<s.w { counts[c] += t[s.at(n, c, h, w)] } }
      }
    }
    let total = counts.reduce(0, +)
    let weights = counts.map { total / Double(s.c) / ($0 + 1) }
    var loss = 0.0
    for n in 0..<s.n {
      for h in 0..<s.h {
        for w in 0..<s.w {
          let sum = (0..<s.c).map { p[s.at(n, $0, h, w)] }.reduce(0, +)
          for c in 0..<s.c {
            let q = min(max(p[s.at(n, c, h, w)] / sum, 1e-7), 1 - 1e-7)
            loss -= t[s.at(n, c, h, w)] * log(q) * weights[c]
          }
        }
      }
    }
    return loss / Double(s.n * s.h * s.w)
  }

  // MARK: finite differences

  /// Central differences of the scalar `f` at `x`, for every element (or the listed ones).
  static func numericGradient(
    _ x: [Double], step h: Double = 1e-6, indices: [Int]? = nil, _ f: ([Double]) -> Double
  )
    -> [Int: Double]
  {
    var out: [Int: Double] = [:]
    var xp = x
    for i in indices ?? Array(x.indices) {
      let keep = xp[i]
      xp[i] = keep + h
      let up = f(xp)
      xp[i] = keep - h
      let down = f(xp)
      xp[i] = keep
      out[i] = (up - down) / (2 * h)
    }
    return out
  }

  /// Σ r·y: the scalar whose gradient with respect to y is r.
  static func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).map(*).reduce(0, +) }
}

/// Deterministic test data.
struct TestData {
  var rng: RandomGenerator
  init(_ seed: UInt64) { rng = RandomGenerator(seed: seed) }
  mutating func values(_ n: Int, _ lo: Float = -1, _ hi: Float = 1) -> [Double] {
    (0..<n).map { _ in Double(rng.uniform(lo, hi)) }
  }
}

extension Tensor {
  /// Plain NCHW values as Double.
  var doubles: [Double] { nchwValues().map(Double.init) }
  /// A tensor from Double NCHW values in the given layout.
  static func of(_ values: [Double], _ s: Ref.Shape, layout: TensorLayout? = nil) throws -> Tensor {
    try Tensor(s.tensorShape, nchw: values.map { Float($0) }, layout: layout)
  }
}

/// Largest |a − b|.
func maxDiff(_ a: [Double], _ b: [Double]) -> Double {
  precondition(a.count == b.count, "length \(a.count) vs \(b.count)")
  return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

/// Largest |a − b| relative to max(1, max|b|).
func relDiff(_ a: [Double], _ b: [Double]) -> Double {
  let scale = max(1, b.map(abs).max() ?? 0)
  return maxDiff(a, b) / scale
}
