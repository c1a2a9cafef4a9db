fn main() {
    println!("nginx-lint");
}
