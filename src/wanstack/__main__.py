from wanstack.cli import main

main()
