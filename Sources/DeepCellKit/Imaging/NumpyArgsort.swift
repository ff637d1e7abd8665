/// numpy's default `argsort` (kind='quicksort') for float32 keys on CPUs without AVX-512:
/// the introsort of numpy 1.26 `npysort/quicksort.cpp` (`aquicksort_`, median-of-three
/// partitions, insertion sort below 16 elements, heapsort past depth `2·floor(log2 n)`).
///
/// It is not a stable sort; peak_local_max's order of equal peaks follows it, so porting it
/// keeps even ties identical to the reference (watershed.md §4 step 3).
enum NumpyArgsort {
  /// The indices that sort `keys` ascending, NaN last, in numpy's exact order.
  static func argsort(_ keys: [Float]) -> [Int] {
    var order = Array(0..<keys.count)
    if keys.count < 2 { return order }
    keys.withUnsafeBufferPointer { v in
      order.withUnsafeMutableBufferPointer { t in
        quicksort(v.baseAddress!, t.baseAddress!, keys.count)
      }
    }
    return order
  }

  @inline(__always)
  private static func less(_ a: Float, _ b: Float) -> Bool { a < b || (b != b && a == a) }

  private static let smallQuicksort = 15

  @inline(__always)
  private static func swap(_ t: UnsafeMutablePointer<Int>, _ a: Int, _ b: Int) {
    let tmp = t[a]
    t[a] = t[b]
    t[b] = tmp
  }

  private static func quicksort(
    _ v: UnsafePointer<Float>, _ tosort: UnsafeMutablePointer<Int>, _ num: Int
  ) {
    var pl = 0
    var pr = num - 1
    var stack: [Int] = []
    var depthStack: [Int] = []
    var cdepth = msb(num) * 2
    while true {
      if cdepth < 0 {
        heapsort(v, tosort + pl, pr - pl + 1)
      } else {
        while pr - pl > smallQuicksort {
          let pm = pl + ((pr - pl) >> 1)
          if less(v[tosort[pm]], v[tosort[pl]]) { swap(tosort, pm, pl) }
          if less(v[tosort[pr]], v[tosort[pm]]) { swap(tosort, pr, pm) }
          if less(v[tosort[pm]], v[tosort[pl]]) { swap(tosort, pm, pl) }
          let vp = v[tosort[pm]]
          var pi = pl
          var pj = pr - 1
          swap(tosort, pm, pj)
          while true {
            repeat { pi += 1 } while less(v[tosort[pi]], vp)
            repeat { pj -= 1 } while less(vp, v[tosort[pj]])
            if pi >= pj { break }
            swap(tosort, pi, pj)
          }
          let pk = pr - 1
          swap(tosort, pi, pk)
          // Push the larger partition, loop on the smaller.
          if pi - pl < pr - pi {
            stack.append(pi + 1)
            stack.append(pr)
            pr = pi - 1
          } else {
            stack.append(pl)
            stack.append(pi - 1)
            pl = pi + 1
          }
          cdepth -= 1
          depthStack.append(cdepth)
        }
        // Insertion sort.
        var pi = pl + 1
        while pi <= pr {
          let vi = tosort[pi]
          let vp = v[vi]
          var pj = pi
          var pk = pi - 1
          while pj > pl && less(vp, v[tosort[pk]]) {
            tosort[pj] = tosort[pk]
            pj -= 1
            pk -= 1
          }
          tosort[pj] = vi
          pi += 1
        }
      }
      // stack_pop
      if stack.isEmpty { break }
      pr = stack.removeLast()
      pl = stack.removeLast()
      cdepth = depthStack.removeLast()
    }
  }

  private static func heapsort(
    _ v: UnsafePointer<Float>, _ tosort: UnsafeMutablePointer<Int>, _ count: Int
  ) {
    let a = tosort - 1  // 1-based
    var n = count
    var l = n >> 1
    while l > 0 {
      siftDown(v, a, a[l], from: l, count: n)
      l -= 1
    }
    while n > 1 {
      let tmp = a[n]
      a[n] = a[1]
      n -= 1
      siftDown(v, a, tmp, from: 1, count: n)
    }
  }

  /// numpy's heapsort sift-down: places `tmp` into the 1-based max-heap `a[1...n]` starting
  /// at node `start`.
  @inline(__always)
  private static func siftDown(
    _ v: UnsafePointer<Float>, _ a: UnsafeMutablePointer<Int>, _ tmp: Int, from start: Int,
    count n: Int
  ) {
    var i = start
    var j = start << 1
    while j <= n {
      if j < n && less(v[a[j]], v[a[j + 1]]) { j += 1 }
      if less(v[tmp], v[a[j]]) {
        a[i] = a[j]
        i = j
        j += j
      } else {
        break
      }
    }
    a[i] = tmp
  }

  /// Index of the most significant set bit (`npy_get_msb`).
  private static func msb(_ n: Int) -> Int {
    var depth = 0
    var u = UInt(n)
    u >>= 1
    while u != 0 {
      depth += 1
      u >>= 1
    }
    return depth
  }
}
