use std::time::{Duration, Instant};
#[test]
fn timing2() {
    let c = ferry_test_support::cluster();
    let mut a = c.admin_client();
    let variants = ["", " TEMPLATE template0", " STRATEGY FILE_COPY", " TEMPLATE template0 STRATEGY FILE_COPY"];
    let mut tot = vec![Duration::ZERO; 4];
    for i in 0..15 {
        for (k, v) in variants.iter().enumerate() {
            let t = Instant::now();
            a.batch_execute(&format!("CREATE DATABASE y_{k}_{i}{v}")).unwrap();
            tot[k] += t.elapsed();
            a.batch_execute(&format!("DROP DATABASE y_{k}_{i}")).unwrap();
        }
    }
    for (k, v) in variants.iter().enumerate() { eprintln!("{v:?}: avg {:?}", tot[k] / 15); }
}
