
ByJ(9™CrûBSŠûB:FðB^ÈóBbH÷Bk
ÞB:ÂÙBˆùC•%øB